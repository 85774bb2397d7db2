// What the end-to-end tests are given by scripts/lib/dashboard.sh, through the environment.

/** The variable's value; a test run without it stops at once and says how to run it. */
export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/test.sh (or see scripts/lib/dashboard.sh)`);
  return value;
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
