/**
 * The slice of ml-regression 6 the optimizer uses. The package ships no types for its root entry
 * (only some sub-packages do), so this declares only what optimizer/ relies on.
 */
declare module 'ml-regression' {
  /** Kernel ridge regression; `predict` on a list of rows returns one output row per input row. */
  export class KernelRidgeRegression {
    constructor(
      inputs: number[][],
      outputs: number[][],
      options?: {
        lambda?: number;
        kernelType?: 'gaussian' | 'linear' | 'polynomial';
        kernelOptions?: { sigma?: number };
      },
    );
    predict(x: number[][]): number[][];
  }
}
