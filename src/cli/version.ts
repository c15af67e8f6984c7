import pkg from '../../package.json' with { type: 'json' };

/** keyturn's version, from package.json (the bundler inlines it): one place to bump. */
export const VERSION: string = pkg.version;
