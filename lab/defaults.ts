// Every tunable number of the lab in one place, with the reason for its value.

/**
 * Where labs keep their state (one directory per lab). Overridable with
 * TSSWARM_LAB_ROOT so a user without /var/lib can still run labs.
 */
export const DEFAULT_LAB_ROOT = '/var/lib/tsswarm/lab';
export const LAB_ROOT = process.env['TSSWARM_LAB_ROOT'] || DEFAULT_LAB_ROOT;

/** `--name` when none is given. */
export const DEFAULT_LAB_NAME = 'lab';

/** A 3-manager raft group tolerates one failure; two workers show worker-to-worker traffic. */
export const DEFAULT_MANAGERS = 3;
export const DEFAULT_WORKERS = 2;

/**
 * Managers get .11–.19 and workers .21–.119 of the lab's /24, so the last octet tells
 * the role at a glance; that caps managers at 9 (more than any raft group needs) and
 * workers at 99 (the last octet must stay below the broadcast address).
 */
export const MAX_MANAGERS = 9;
export const MAX_WORKERS = 99;
export const MANAGER_HOST_BASE = 10;
export const WORKER_HOST_BASE = 20;

/**
 * The underlay is 172.31.<k>.0/24 with k derived from the lab name. Each lab's hosts
 * only see their own hub bridge, so equal k in two labs would not even clash; k just
 * makes addresses of different labs tell apart in logs.
 */
export const UNDERLAY_PREFIX = '172.31';
export const UNDERLAY_PREFIX_LEN = 24;

/** Interface name of the underlay link inside every host, as on a real machine. */
export const HOST_LINK = 'eth0';

/** The port `swarm join` listens on, as Docker's default. */
export const SWARM_PORT = 2377;

/** A daemon opens its socket within a second or two; 15 s covers a loaded 2-core box. */
export const READY_TIMEOUT_MS = 15_000;
/** One /_ping attempt; a live daemon answers in milliseconds. */
export const PING_TIMEOUT_MS = 1_000;
/** Between /_ping attempts: short enough that `up` is not slowed noticeably. */
export const PING_INTERVAL_MS = 100;

/** A daemon gets this long after SIGTERM to leave cleanly before SIGKILL. */
export const STOP_GRACE_MS = 3_000;
/** After SIGKILL the kernel frees a process almost at once; this only bounds the wait. */
export const KILL_WAIT_MS = 2_000;

/** Each swarm formation command (init/join-token/join) should finish in seconds; joins wait for a raft commit. */
export const FORM_STEP_TIMEOUT_MS = 60_000;

/** Lines of a daemon's log quoted in an error when it fails to start. */
export const LOG_TAIL_LINES = 20;

/** Longest unix socket path the kernel accepts (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;
