// npm run arm-emulator: the local ARM emulator on its own. Honours ARM_EMULATOR_PORT,
// ARM_EMULATOR_CA_FILE, ARM_EMULATOR_LRO_MS, ARM_EMULATOR_PUBLIC_IP_DELAY_MS, ARM_EMULATOR_FAULTS (JSON
// array of fault rules), ARM_EMULATOR_THROTTLE=1, ARM_EMULATOR_UNREGISTERED_PROVIDERS,
// ARM_EMULATOR_PAGE_SIZE (read by the emulator itself) and LOCAL_DATA_DIR; prints the settings the app needs.
import { ArmEmulator, type FaultRule } from '../arm';

function intEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer, got '${v}'`);
    process.exit(2);
  }
  return n;
}

function faultsEnv(): FaultRule[] | undefined {
  const v = process.env.ARM_EMULATOR_FAULTS;
  if (!v) return undefined;
  try {
    return JSON.parse(v) as FaultRule[];
  } catch {
    console.error('ARM_EMULATOR_FAULTS must be a JSON array of fault rules');
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const arm = new ArmEmulator({
    port: intEnv('ARM_EMULATOR_PORT') ?? 0,
    caFile: process.env.ARM_EMULATOR_CA_FILE || undefined,
    lroMs: intEnv('ARM_EMULATOR_LRO_MS'),
    publicIpDelayMs: intEnv('ARM_EMULATOR_PUBLIC_IP_DELAY_MS'),
    faults: faultsEnv(),
    throttle: process.env.ARM_EMULATOR_THROTTLE === '1',
  });
  await arm.ready;
  console.log(`ARM emulator listening on ${arm.endpoint}`);
  console.log(`  AZURE_ARM_ENDPOINT=${arm.endpoint}`);
  console.log(`  AZURE_ARM_CA_FILE=${arm.caFile}`);
  console.log('  AZURE_ARM_STATIC_TOKEN=<any non-empty string>');
  console.log(`  admin: ${arm.endpoint}/_emulator/state | /_emulator/operations | /_emulator/faults`);
  const stop = () => {
    void arm.dispose().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
