/** The installed cellfit's version, which workers compare with the sweeps they are sent. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `0.1.0`, from the package.json beside dist/ (or the repository's). */
export const cellfitVersion = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
