/**
 * Input the user gave that cannot be used as it is (a missing file, a malformed list, a cut-short video):
 * reported in one line with exit code 1, never with a stack trace.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
