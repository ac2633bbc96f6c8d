//! Integration tests: one binary (fast to link), driving the real service against real
//! databases. Store tests run on SQLite and PostgreSQL alike (`both_backends!`).

#![allow(clippy::unwrap_used)]

mod harness;

mod actions;
mod assessments;
mod attestations;
mod audit;
mod calendar;
mod cli;
mod clock;
mod crash;
mod cycle;
mod documents;
mod exports;
mod files;
mod handover;
mod inputs;
mod jobs;
mod ledger;
mod matching;
mod meaning;
mod months;
mod notices;
mod planning;
mod plans;
mod plans_service;
mod profiles;
mod refunds;
mod refunds_postal;
mod run;
mod scale;
mod statement;
mod store;
mod surcharges;
mod web;
mod webhooks;
mod write_off_hold;
