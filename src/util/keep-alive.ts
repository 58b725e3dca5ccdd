/**
 * Holds the process open while `work` is pending. Background timers (heartbeats, rebalance delays, maintenance) are
 * unref'd so they never keep an idle process alive; but while a caller awaits a poll or a commit that waits on them,
 * the process must not exit under it. One ref'd timer per call, none per record.
 */
export async function keepAlive<T>(work: Promise<T>): Promise<T> {
  const handle = setInterval(noop, 1 << 30);
  try {
    return await work;
  } finally {
    clearInterval(handle);
  }
}

function noop(): void {}
