// ml-regression 6 ships no type declarations; this covers the part the landscape fit uses
// (the class is ml-regression-simple-linear's, re-exported).
declare module 'ml-regression' {
  /** Ordinary least squares y = slope · x + intercept. */
  export class SimpleLinearRegression {
    constructor(x: ArrayLike<number>, y: ArrayLike<number>);
    readonly slope: number;
    readonly intercept: number;
    predict(x: number): number;
  }
}
