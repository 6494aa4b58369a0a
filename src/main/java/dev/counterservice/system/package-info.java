/**
 * Shared configuration: a one-line reason instead of a stack trace when the database
 * cannot be reached at start-up, and tracing that stays a no-op unless an OTLP endpoint
 * is configured.
 */
package dev.counterservice.system;
