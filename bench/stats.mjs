// Small statistics and table helpers shared by the benchmarks.

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Prints a markdown table of rows: { name, samples (ms), reference? }, ratio to the reference row. */
export function printTable(title, rows, referenceName) {
  const reference = rows.find((row) => row.name === referenceName);
  const refMedian = reference ? median(reference.samples) : undefined;
  const lines = [
    `### ${title}`,
    '',
    '| variant | median ms | min-max ms | runs | x ref |',
    '|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const m = median(row.samples);
    const ratio = refMedian ? (m / refMedian).toFixed(2) : '-';
    lines.push(
      `| ${row.name} | ${m.toFixed(1)} | ${Math.min(...row.samples).toFixed(1)}-${Math.max(...row.samples).toFixed(1)} | ${row.samples.length} | ${ratio} |`,
    );
  }
  const text = lines.join('\n');
  console.log(text);
  return text;
}

/** The p-th percentile (nearest rank) of a list of numbers. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
