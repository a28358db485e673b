/**
 * The top-level field names of one JSON log line, in order and with repeats: `JSON.parse` keeps only the last
 * of two fields with the same name, so it cannot tell that a line had two (a child logger binding a field its
 * parent already bound, e.g. two `component`s). A small scanner over the text: strings (with escapes) and
 * nesting are skipped, a string at depth 1 right after `{` or `,` is a field name.
 */
export function topLevelFields(line: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let expectName = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectName) names.push(JSON.parse(line.slice(i, j + 1)) as string);
      expectName = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectName = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',') {
      expectName = depth === 1;
    }
  }
  return names;
}

/** The fields a JSON log line names more than once. */
export function repeatedFields(line: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of topLevelFields(line)) (seen.has(name) ? repeated : seen).add(name);
  return [...repeated];
}
