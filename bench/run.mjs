// Runs every benchmark of the suite. `--quick` runs each briefly (CI uses it to keep them working).
const quick = process.argv.includes('--quick');
console.log(
  `barkeep benchmarks${quick ? ' (quick)' : ''}, ${new Date().toISOString()}, node ${process.version}\n`,
);
await import('./startup.mjs');
