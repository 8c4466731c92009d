// Placeholder: the era/system detection is written next. See SystemFacts below for the contract.
export type Era = 'legacy' | 'modern';
export type InitSystem = 'baselayout1' | 'openrc' | 'systemd';

/** What every step may know about the target, decided once per target. */
export interface SystemFacts {
  era: Era;
  /** 'x86' | 'amd64' | other Gentoo arch keyword, from the profile or CHOST. */
  arch: string;
  /** The make.conf the tool edits: /etc/make.conf (legacy) or /etc/portage/make.conf. */
  makeConfPath: string;
  /** Profile symlink path and its target profile name (e.g. default/linux/amd64/23.0). */
  profileLink: string;
  profile: string | undefined;
  initSystem: InitSystem;
  /** Path of the main package repository (/usr/portage or /var/db/repos/gentoo). */
  repoPath: string;
  /** Installed package versions from /var/db/pkg: 'category/name' → versions (PMS strings). */
  installed: Map<string, string[]>;
  /** Versions the repository offers: 'category/name' → versions, when the tree is present. */
  available(catpn: string): Promise<string[]>;
  /** Whether a package is installed or will be by an earlier planned command. */
  hasPackage(catpn: string): boolean;
}
