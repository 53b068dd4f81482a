// What both platforms (platform-node.ts, platform-browser.ts) give host work running beside the main thread.
/** A host thread running a self-contained script (src/linalg/band-pool.ts). */
export interface HostWorker {
  post(message: unknown, transfer: ArrayBuffer[]): void;
  onMessage(f: (message: unknown) => void): void;
  onError(f: (error: Error) => void): void;
  /** Whether the worker keeps the process alive: yes while it has work in flight, no when idle. */
  hold(on: boolean): void;
}
