/**
 * One temporary directory per `npm test` run, removed when the run ends: Jest's globalSetup points TMPDIR
 * at it before any worker starts (workers and the scripts they run inherit it, and `os.tmpdir()` reads
 * it), and globalTeardown removes it. Without it every run left its test files' temp dirs in /tmp, since
 * many tests make one and none can hook a teardown shared by every file (jest-light-runner runs the
 * setupFilesAfterEnv once per worker, and each file's hooks are its own).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PREFIX = 'jenkins-gpu-tests-';
/** The TMPDIR the run began with, for globalTeardown (Jest runs both hooks in its main process). */
const STATE = Symbol.for('jenkins-gpu.test-temp-root');

function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  globalThis[STATE] = { root, previous: process.env.TMPDIR };
  process.env.TMPDIR = root;
  return root;
}

function teardown() {
  const state = globalThis[STATE];
  if (!state) return;
  delete globalThis[STATE];
  if (state.previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = state.previous;
  fs.rmSync(state.root, { recursive: true, force: true });
}

module.exports = { PREFIX, setup, teardown };
