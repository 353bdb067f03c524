// A reader that stops early (`apiary events | head`) closes stdout under a command that is still
// writing: the command then ends quietly, as a Unix filter does, instead of dying on an unhandled
// EPIPE with a stack trace.

/**
 * Ends the process with status 0 once a write to STREAM finds its reader gone (EPIPE); any other
 * stream error is thrown as before. Only for commands that read and print: a command that serves
 * (start, sensor, collector, dashboard) must not stop because the terminal it started from went away.
 */
export function endQuietlyWhenStdoutCloses(stream: NodeJS.WritableStream = process.stdout, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    // Status 0: the reader took what it wanted; `set -o pipefail` scripts should not see a failure.
    exit(0);
  });
}
