// A child process for test/arm/persistence.test.ts: an ARM emulator on ARM_TEST_DATA_DIR that prints one
// JSON line per event ({ready}, {boot}) on stdout, so that the test can SIGKILL it mid-operation.
import { ArmEmulator } from '../../arm';

const print = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

const arm = new ArmEmulator({
  dataDir: process.env.ARM_TEST_DATA_DIR,
  lroMs: Number(process.env.ARM_TEST_LRO_MS ?? 1500),
  onError: (e) => print({ error: String(e) }),
  onGuestBoot: (g) => {
    print({ boot: { vmId: g.vmId, bootId: g.bootId } });
    return { stop: () => Promise.resolve() };
  },
});
arm.ready.then(
  () => print({ ready: { endpoint: arm.endpoint, caFile: arm.caFile } }),
  (e: unknown) => {
    print({ error: String(e) });
    process.exit(1);
  },
);
