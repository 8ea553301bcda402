import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', '.tap/**', 'client/sqlgate-api.d.ts']
  }),
  // The house's sizes (CONTRIBUTING.md): one concern a file, small steps a function. Tests may
  // run longer, one scenario after another.
  {
    ignores: ['test/**'],
    rules: {
      'max-lines': ['error', { max: 250 }],
      'max-lines-per-function': ['error', { max: 80 }]
    }
  }
]
