//! Integration tests: one binary (fast to link), driving the real service against real
//! databases. Store tests run on SQLite and PostgreSQL alike (`both_backends!`).

#![allow(clippy::unwrap_used)]

mod harness;

mod api;
mod browser;
mod cli;
mod crash;
mod cycle;
mod files;
mod matching;
mod notices;
mod run;
mod scale;
mod store;
mod web;
mod web_bank;
mod web_console;
mod web_declaration_form;
mod web_disputes;
mod web_employer_api;
mod web_ops;
mod web_pages;
mod web_portal_extras;
mod web_refusals;
