declare const __BARKEEP_VERSION__: string | undefined;

/**
 * barkeep's version, written into the bundle by esbuild from package.json; `dev` when running
 * from the sources (tests).
 */
export const VERSION: string =
  typeof __BARKEEP_VERSION__ === 'string' ? __BARKEEP_VERSION__ : '0.0.0-dev';
