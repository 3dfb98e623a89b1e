#!/usr/bin/env node
import { createApp } from '../lib/app';
import { UserInputError } from '../lib/errors';

try {
  createApp().app.synth();
} catch (error) {
  if (error instanceof UserInputError) {
    // A mistake in settings or casc/: the message says what and where; a stack trace would only hide it.
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
