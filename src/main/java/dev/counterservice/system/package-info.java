/** Start-up diagnostics: a one-line reason instead of a stack trace when the database cannot be reached. */
package dev.counterservice.system;
