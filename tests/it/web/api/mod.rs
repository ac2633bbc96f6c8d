//! The JSON API under `/api/v1` over real HTTP, one file per audience as in `src/web/api`:
//! [`admin`] (the admin token), [`employer`] (employer users' personal tokens), [`bank`]
//! (institutions' tokens), and [`openapi`] (the document and its routes).

mod admin;
mod bank;
mod employer;
mod openapi;
