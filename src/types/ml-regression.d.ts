/**
 * Types of the part of ml-regression that Sluice uses: the package ships none, but its
 * multivariate linear regression is ml-regression-multivariate-linear, which does.
 */
declare module 'ml-regression' {
  export { default as MultivariateLinearRegression } from 'ml-regression-multivariate-linear';
}
