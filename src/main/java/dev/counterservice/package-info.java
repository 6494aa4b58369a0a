/**
 * counter-service: strictly increasing, durable numbers over HTTP, backed by PostgreSQL.
 * The application class only; features live in sub-packages.
 */
package dev.counterservice;
