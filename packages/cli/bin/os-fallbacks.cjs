'use strict';
// A user with no passwd entry (a container run with an arbitrary --user): os.homedir() without
// HOME, and os.userInfo(), throw, and libraries call them (oclif for the shell's name when SHELL
// is not set): they answer with what is known instead. The release file starts with this too
// (scripts/release.mjs).
{
  const os = require('node:os');
  const { homedir, userInfo } = os;
  os.homedir = () => {
    try {
      return homedir();
    } catch {
      return '';
    }
  };
  os.userInfo = (options) => {
    try {
      return userInfo(options);
    } catch {
      const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
      return {
        uid,
        gid: typeof process.getgid === 'function' ? process.getgid() : -1,
        username: process.env.USER || String(uid),
        homedir: os.homedir(),
        shell: process.env.SHELL || null,
      };
    }
  };
}
