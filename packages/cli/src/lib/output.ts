/** Colour when stdout is a terminal, NO_COLOR is unset and output is not JSON; flags win. */
export function useColor(flag: boolean | undefined, json: boolean): boolean {
  if (json) return false;
  if (flag !== undefined) return flag;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return process.stdout.isTTY === true;
}

/** Whether a person can answer a question. */
export function interactive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}
