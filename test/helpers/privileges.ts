import { spawnSync } from 'node:child_process';
import { CLI } from './paths.js';

/** setpriv arguments that run a command as the unprivileged `nobody` user. */
export const AS_NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/**
 * Whether a test can run the exporter as `nobody`: root is needed to switch users, and `nobody`
 * must be able to read our build (a checkout under a private home directory is not readable).
 */
export const canDropPrivileges =
  process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('setpriv', [...AS_NOBODY, process.execPath, CLI, '--version']).status === 0;
