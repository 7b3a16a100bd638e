/** The error a promise rejects with; fails the test when it resolves instead. */
export async function rejection<E = Error & { code?: string }>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected a rejection');
}
