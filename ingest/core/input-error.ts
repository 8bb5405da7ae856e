/** The input cannot be read at all (missing file, unreadable header, required column absent): nothing loads. */
export class InputError extends Error {
  override name = 'InputError';
}
