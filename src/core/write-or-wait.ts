/**
 * Writes `text` to a stream that may be slower than its writer (a client reading a command's output, a pipe
 * into gzip): undefined when the stream took it, else a promise that settles once it drains, or once it
 * closes or fails (a reader that left never drains). Awaiting it is what passes backpressure on.
 */
export function writeOrWait(stream: NodeJS.WritableStream & { destroyed?: boolean }, text: string): Promise<void> | undefined {
  if (stream.write(text) || stream.destroyed) return undefined;
  return new Promise((resolve) => {
    const go = () => {
      stream.off('drain', go);
      stream.off('close', go);
      stream.off('error', go);
      resolve();
    };
    stream.once('drain', go);
    stream.once('close', go);
    stream.once('error', go);
  });
}
