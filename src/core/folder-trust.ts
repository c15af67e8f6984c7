import { KeyturnError } from './errors.js';
import { octal } from './file-modes.js';

/** What the OS says of a folder: its permission bits and its owner. */
export interface FolderFacts {
  mode: number;
  uid: number;
}

/**
 * The credential folder is trusted no more than ssh trusts ~/.ssh (sshd's StrictModes): another
 * user who can write into it, or who owns it, can swap auth.json for tokens of their own, or plant a
 * symlink where the next write lands. Undefined when the folder is fit to hold secrets.
 * @see https://man.openbsd.org/sshd_config#StrictModes
 */
export function untrustedFolder(
  folder: string,
  facts: FolderFacts,
  ownUid: number,
): KeyturnError | undefined {
  const writableByOthers = (facts.mode & 0o022) !== 0;
  const ownedByOther = facts.uid !== ownUid;
  if (!writableByOthers && !ownedByOther) return undefined;
  const why = ownedByOther
    ? `is owned by another user (uid ${facts.uid})`
    : `has mode ${octal(facts.mode)}: other users can write into it`;
  const fix = ownedByOther
    ? `Use a folder of your own: point KEYTURN_HOME elsewhere (\`mkdir -m 700 ~/.keyturn && export KEYTURN_HOME=~/.keyturn\`), or have ${folder} given to you and \`chmod 700 ${folder}\`.`
    : `\`chmod 700 ${folder}\`, then check that nobody replaced what is in it.`;
  return new KeyturnError(
    'store_insecure',
    `The credential folder ${folder} ${why}; keyturn keeps no secrets there.`,
    { fix, evidence: { folder, folder_mode: octal(facts.mode), folder_uid: facts.uid, own_uid: ownUid } },
  );
}
