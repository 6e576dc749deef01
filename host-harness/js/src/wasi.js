// The WASI imports the component needs (the functions its build imports), and nothing more:
// a wall clock from the host's clock, a monotonic clock, an empty environment, `exit` that
// throws instead of ending Node, stdout and stderr captured in memory, a stdin never read and
// no terminal. jco's preview2-shim would hand the guest the whole `process.env` and call
// `process.exit` on a guest `exit`.

import { GuestExit } from './errors.js';

/** Captured guest output is kept up to this many bytes per call; the rest is dropped. */
export const GUEST_OUTPUT_LIMIT = 1 << 20;

/** No stream here ever fails, so no error resource is ever made. */
class IoError {}

/** Every stream here is always ready, so a pollable never waits. */
class Pollable {
  block() {}
}

/** stdin: the guest gets one but never reads it (the component imports no read method). */
class InputStream {}

/** stdout or stderr: appends to an `OutputSink`. */
class OutputStream {
  constructor(sink) {
    this.sink = sink;
  }

  checkWrite() {
    return 65536n;
  }

  write(bytes) {
    this.sink.append(bytes);
  }

  blockingFlush() {}

  subscribe() {
    return new Pollable();
  }
}

class TerminalInput {}
class TerminalOutput {}

/** What the guest printed, both streams together, up to `GUEST_OUTPUT_LIMIT` bytes. */
export class OutputSink {
  constructor() {
    this.chunks = [];
    this.size = 0;
  }

  append(bytes) {
    const room = GUEST_OUTPUT_LIMIT - this.size;
    if (room <= 0) return;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    // A copy, whatever the caller does with its buffer later.
    this.chunks.push(Uint8Array.from(kept));
    this.size += kept.length;
  }

  /** The text printed since the last `take`, and forget it. */
  take() {
    if (this.size === 0) return '';
    const text = Buffer.concat(this.chunks).toString('utf8');
    this.chunks = [];
    this.size = 0;
    return text;
  }
}

/**
 * The WASI interfaces, keyed by their unversioned names, for one instance.
 *
 * @param {() => {seconds: bigint, nanoseconds: number}} wallClock the time, as WASI's datetime
 * @param {OutputSink} sink where stdout and stderr go
 */
export function wasiImports(wallClock, sink) {
  const stdout = new OutputStream(sink);
  const stderr = new OutputStream(sink);
  const stdin = new InputStream();
  return {
    'wasi:cli/environment': {
      getEnvironment: () => [],
    },
    'wasi:cli/exit': {
      exit(status) {
        throw new GuestExit(status?.tag === 'ok');
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/wall-clock': { now: wallClock },
    'wasi:clocks/monotonic-clock': { now: () => process.hrtime.bigint() },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': { Pollable },
    'wasi:io/streams': { InputStream, OutputStream },
  };
}

/**
 * WASI's datetime (unsigned seconds and nanoseconds) of a Unix time in milliseconds; times
 * before 1970 read as the epoch, as in the Rust harness.
 */
export function datetime(millis) {
  if (!Number.isSafeInteger(millis)) {
    throw new TypeError(`the clock must return whole Unix milliseconds, not ${millis}`);
  }
  const ms = Math.max(0, millis);
  return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
}
