/**
 * Text that reaches the terminal from elsewhere (an API's error message, a file's bytes quoted by a parse
 * error, a name the user pasted) shown with its control characters spelled out: an escape sequence in it would
 * otherwise move the cursor, recolour the terminal or set its title (kubectl had this hole, CVE-2021-25743).
 * Line feeds and tabs stay (messages may span lines); every other C0 control, DEL and the C1 controls become
 * `\xNN`, and a carriage return `\r`. Pure.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
