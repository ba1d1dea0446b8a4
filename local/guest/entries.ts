// Realistic journal content for a simulated Ubuntu VM on Azure: a boot (kernel, systemd, journald,
// networkd, cloud-init, ssh, cron, the Azure agent) and then a trickle of everyday lines (sshd scans,
// cron jobs, timers, firewall drops), with the trusted fields journald would add.
import type { JournalFields } from './export-format';

export interface GuestIdentity {
  bootId: string;
  machineId: string;
  hostname: string;
  /** Wall-clock time of the boot, in µs since the epoch (monotonic time 0). */
  bootRealtimeUsec: number;
}

interface Source {
  unit?: string;
  identifier: string;
  pid: number;
  comm?: string;
  exe?: string;
  transport: 'kernel' | 'journal' | 'stdout' | 'syslog' | 'driver';
  facility?: number;
}

const KERNEL: Source = { identifier: 'kernel', pid: 0, transport: 'kernel', facility: 0 };
const SYSTEMD: Source = {
  unit: 'init.scope',
  identifier: 'systemd',
  pid: 1,
  comm: 'systemd',
  exe: '/usr/lib/systemd/systemd',
  transport: 'journal',
  facility: 3,
};
const JOURNALD: Source = {
  unit: 'systemd-journald.service',
  identifier: 'systemd-journald',
  pid: 181,
  comm: 'systemd-journal',
  exe: '/usr/lib/systemd/systemd-journald',
  transport: 'driver',
  facility: 3,
};
const NETWORKD: Source = {
  unit: 'systemd-networkd.service',
  identifier: 'systemd-networkd',
  pid: 402,
  comm: 'systemd-network',
  exe: '/usr/lib/systemd/systemd-networkd',
  transport: 'journal',
  facility: 3,
};
const LOGIND: Source = {
  unit: 'systemd-logind.service',
  identifier: 'systemd-logind',
  pid: 611,
  comm: 'systemd-logind',
  exe: '/usr/lib/systemd/systemd-logind',
  transport: 'journal',
  facility: 4,
};
const TIMESYNCD: Source = {
  unit: 'systemd-timesyncd.service',
  identifier: 'systemd-timesyncd',
  pid: 388,
  comm: 'systemd-timesyn',
  exe: '/usr/lib/systemd/systemd-timesyncd',
  transport: 'journal',
  facility: 3,
};
const CLOUD_INIT: Source = {
  unit: 'cloud-init.service',
  identifier: 'cloud-init',
  pid: 523,
  comm: 'cloud-init',
  exe: '/usr/bin/python3.12',
  transport: 'syslog',
  facility: 1,
};
const SSHD: Source = {
  unit: 'ssh.service',
  identifier: 'sshd',
  pid: 702,
  comm: 'sshd',
  exe: '/usr/sbin/sshd',
  transport: 'syslog',
  facility: 4,
};
const CRON: Source = {
  unit: 'cron.service',
  identifier: 'cron',
  pid: 640,
  comm: 'cron',
  exe: '/usr/sbin/cron',
  transport: 'syslog',
  facility: 9,
};
const CRON_JOB: Source = {
  unit: 'cron.service',
  identifier: 'CRON',
  pid: 640,
  comm: 'cron',
  exe: '/usr/sbin/cron',
  transport: 'syslog',
  facility: 10,
};
const WAAGENT: Source = {
  unit: 'walinuxagent.service',
  identifier: 'python3',
  pid: 733,
  comm: 'python3',
  exe: '/usr/bin/python3.12',
  transport: 'stdout',
  facility: 3,
};
const SNAPD: Source = {
  unit: 'snapd.service',
  identifier: 'snapd',
  pid: 690,
  comm: 'snapd',
  exe: '/usr/lib/snapd/snapd',
  transport: 'stdout',
  facility: 3,
};

type Line = [Source, priority: number, message: string];

function fields(id: GuestIdentity, atUsec: number, [src, priority, message]: Line): JournalFields {
  const f: JournalFields = {
    __REALTIME_TIMESTAMP: String(atUsec),
    __MONOTONIC_TIMESTAMP: String(Math.max(1, atUsec - id.bootRealtimeUsec)),
    _BOOT_ID: id.bootId,
    _MACHINE_ID: id.machineId,
    _HOSTNAME: id.hostname,
    PRIORITY: String(priority),
    SYSLOG_FACILITY: String(src.facility ?? 3),
    SYSLOG_IDENTIFIER: src.identifier,
    _TRANSPORT: src.transport,
    MESSAGE: message,
  };
  if (src.transport !== 'kernel') {
    f._PID = String(src.pid);
    f._UID = '0';
    f._GID = '0';
    if (src.comm) f._COMM = src.comm;
    if (src.exe) f._EXE = src.exe;
  }
  if (src.unit) {
    f._SYSTEMD_UNIT = src.unit;
    f._SYSTEMD_CGROUP = src.unit === 'init.scope' ? '/init.scope' : `/system.slice/${src.unit}`;
    f._SYSTEMD_SLICE = src.unit === 'init.scope' ? '-.slice' : 'system.slice';
  }
  if (src.identifier === 'systemd' && / - /.test(message))
    f.UNIT = /(\S+\.(service|target|socket|timer|mount))/.exec(message)?.[1] ?? '';
  if (f.UNIT === '') delete f.UNIT;
  return f;
}

function bootLines(id: GuestIdentity, ip: string): Line[] {
  const kernel = '6.8.0-1021-azure';
  return [
    [
      KERNEL,
      5,
      `Linux version ${kernel} (buildd@lcy02-amd64-048) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #21-Ubuntu SMP Wed Feb 19 14:35:56 UTC 2025 (Ubuntu ${kernel}.21-azure 6.8.12)`,
    ],
    [
      KERNEL,
      6,
      `Command line: BOOT_IMAGE=/vmlinuz-${kernel} root=PARTUUID=3c5b0a3e-0b2f-4d7c-8a0e-7c6f2a1e9d41 ro console=tty1 console=ttyS0 earlyprintk=ttyS0 panic=-1`,
    ],
    [KERNEL, 6, 'Hypervisor detected: Microsoft Hyper-V'],
    [KERNEL, 6, 'Hyper-V: privilege flags low 0xae7f, high 0x3b8030, hints 0x64e24, misc 0xbed7b2'],
    [
      KERNEL,
      6,
      'Memory: 3969756K/4193784K available (22528K kernel code, 4430K rwdata, 14364K rodata, 4948K init, 4668K bss, 223768K reserved, 0K cma-reserved)',
    ],
    [KERNEL, 4, 'hv_balloon: Max. dynamic memory size: 4096 MB'],
    [KERNEL, 6, 'hv_vmbus: registering driver hv_netvsc'],
    [
      KERNEL,
      6,
      'EXT4-fs (sda1): mounted filesystem 1f0b8a65-8c6e-4b47-9a35-2cba5a0f1d2b ro with ordered data mode. Quota mode: none.',
    ],
    [
      KERNEL,
      5,
      'audit: type=1400 audit(1718000000.123:2): apparmor="STATUS" operation="profile_load" profile="unconfined" name="lsb_release" pid=312 comm="apparmor_parser"',
    ],
    [
      SYSTEMD,
      6,
      'systemd 255.4-1ubuntu8.4 running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)',
    ],
    [SYSTEMD, 6, 'Detected virtualization microsoft.'],
    [SYSTEMD, 6, 'Detected architecture x86-64.'],
    [SYSTEMD, 6, `Hostname set to <${id.hostname}>.`],
    [JOURNALD, 6, 'Journal started'],
    [JOURNALD, 6, `Runtime Journal (/run/log/journal/${id.machineId}) is 8.0M, max 78.3M, 70.3M free.`],
    [SYSTEMD, 6, 'Started systemd-journald.service - Journal Service.'],
    [JOURNALD, 6, `System Journal (/var/log/journal/${id.machineId}) is 8.0M, max 1.5G, 1.4G free.`],
    [SYSTEMD, 6, 'Starting systemd-networkd.service - Network Configuration...'],
    [NETWORKD, 6, 'lo: Link UP'],
    [NETWORKD, 6, 'eth0: Link UP'],
    [NETWORKD, 6, 'eth0: Gained carrier'],
    [NETWORKD, 6, `eth0: DHCPv4 address ${ip}/24, gateway 10.0.0.1 acquired from 168.63.129.16`],
    [SYSTEMD, 6, 'Started systemd-networkd.service - Network Configuration.'],
    [TIMESYNCD, 6, 'Network configuration changed, trying to establish connection.'],
    [
      CLOUD_INIT,
      6,
      "Cloud-init v. 24.4.1-0ubuntu0~24.04.1 running 'init' at Mon, 01 Jan 2024 00:00:05 +0000. Up 5.12 seconds.",
    ],
    [CLOUD_INIT, 6, 'ci-info: +++++++++++++++++++++++++++Net device info++++++++++++++++++++++++++++'],
    [SYSTEMD, 6, 'Reached target network-online.target - Network is Online.'],
    [SYSTEMD, 6, 'Starting ssh.service - OpenBSD Secure Shell server...'],
    [SSHD, 6, 'Server listening on 0.0.0.0 port 22.'],
    [SSHD, 6, 'Server listening on :: port 22.'],
    [SYSTEMD, 6, 'Started ssh.service - OpenBSD Secure Shell server.'],
    [SYSTEMD, 6, 'Started cron.service - Regular background program processing daemon.'],
    [CRON, 6, '(CRON) INFO (pidfile fd = 3)'],
    [CRON, 6, '(CRON) INFO (Running @reboot jobs)'],
    [LOGIND, 6, 'New seat seat0.'],
    [LOGIND, 6, 'Watching system buttons on /dev/input/event0 (Power Button)'],
    [WAAGENT, 6, 'Azure Linux Agent (Goal State Agent version 2.12.0.2)'],
    [WAAGENT, 4, 'WARNING Dhcp client is not running.'],
    [
      SNAPD,
      7,
      'daemon.go:247: started snapd/2.66.1+24.04 (series 16; classic) ubuntu/24.04 (amd64) linux/6.8.0-1021-azure.',
    ],
    [CLOUD_INIT, 6, "Cloud-init v. 24.4.1-0ubuntu0~24.04.1 running 'modules:final'. Up 9.87 seconds."],
    [
      SYSTEMD,
      6,
      'Started vm-journal-agent.service - vm-journal agent (ships the systemd journal to vm-journal).',
    ],
    [SYSTEMD, 6, 'Reached target multi-user.target - Multi-User System.'],
    [SYSTEMD, 6, 'Startup finished in 2.104s (kernel) + 7.911s (userspace) = 10.016s.'],
  ];
}

/** The entries of a boot, spread over the ~10 s before `endUsec`. */
export function bootEntries(id: GuestIdentity, endUsec: number, privateIp = '10.0.0.4'): JournalFields[] {
  const lines = bootLines(id, privateIp);
  const span = Math.min(10_000_000, Math.max(lines.length, endUsec - id.bootRealtimeUsec));
  return lines.map((line, i) => fields(id, endUsec - span + Math.floor((span * i) / lines.length), line));
}

const SCANNERS = ['203.0.113.45', '198.51.100.23', '192.0.2.77', '203.0.113.190'];
const USERS = ['admin', 'ubuntu', 'test', 'oracle', 'git', 'postgres'];

/** An endless, varied sequence of everyday lines; call next() for each new entry. */
export class Trickle {
  private n = 0;
  constructor(private readonly id: GuestIdentity) {}

  next(atUsec: number): JournalFields {
    const i = this.n++;
    const ip = SCANNERS[i % SCANNERS.length]!;
    const user = USERS[i % USERS.length]!;
    const port = 40_000 + ((i * 7919) % 20_000);
    const lines: Line[] = [
      [SSHD, 6, `Invalid user ${user} from ${ip} port ${port}`],
      [SSHD, 6, `Connection closed by invalid user ${user} ${ip} port ${port} [preauth]`],
      [CRON_JOB, 6, 'pam_unix(cron:session): session opened for user root(uid=0) by root(uid=0)'],
      [CRON_JOB, 6, '(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)'],
      [
        KERNEL,
        4,
        `[UFW BLOCK] IN=eth0 OUT= MAC=00:0d:3a:4b:5c:6d SRC=${ip} DST=10.0.0.4 LEN=44 TOS=0x00 PREC=0x00 TTL=243 ID=54321 PROTO=TCP SPT=${port} DPT=3389 WINDOW=1024 RES=0x00 SYN URGP=0`,
      ],
      [
        WAAGENT,
        6,
        `[HEARTBEAT] Agent WALinuxAgent-2.12.0.2 is running as the goal state agent [DEBUG HeartbeatCounter: ${i};HeartbeatId: 4f1c2e9a-7b3d-4e5f-9a1b-2c3d4e5f6a7b;DroppedPackets: 0;UpdateGSErrors: 0;AutoUpdate: 1;UpdateMode: SelfUpdate]`,
      ],
      [SSHD, 3, `error: kex_exchange_identification: Connection closed by remote host`],
      [SYSTEMD, 6, 'Starting sysstat-collect.service - system activity accounting tool...'],
      [SYSTEMD, 6, 'sysstat-collect.service: Deactivated successfully.'],
      [TIMESYNCD, 6, 'Initial synchronization to time server 168.63.129.16:123 (ntp.ubuntu.com).'],
      [CRON_JOB, 6, 'pam_unix(cron:session): session closed for user root'],
      [
        SNAPD,
        7,
        'storehelpers.go:923: cannot refresh: snap has no updates available: "core22", "lxd", "snapd"',
      ],
    ];
    return fields(this.id, atUsec, lines[i % lines.length]!);
  }
}

/** An entry written by the agent's own stderr (journald's stdout transport of vm-journal-agent). */
export function agentLogEntry(id: GuestIdentity, atUsec: number, line: string, pid: number): JournalFields {
  const m = /^<([0-7])>(.*)$/s.exec(line);
  const src: Source = {
    unit: 'vm-journal-agent.service',
    identifier: 'sh',
    pid,
    comm: 'sh',
    exe: '/usr/bin/dash',
    transport: 'stdout',
    facility: 3,
  };
  return fields(id, atUsec, [src, m ? Number(m[1]) : 6, m ? m[2]! : line]);
}
