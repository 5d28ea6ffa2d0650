/**
 * The only package that touches Vert.x or Netty internals. Each use is explained where it is made; when
 * Vert.x is upgraded, this is the package to check.
 */
package dev.registerservice.internal;
