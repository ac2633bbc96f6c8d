//! Page geometry in integers, and the one door to krilla's `f32` coordinates.
//!
//! The workspace bans floats (money is exact); a PDF's coordinates are not money, but they
//! are still laid out here in integer hundredths of a point ([`Cpt`]) so that every position
//! on a page is exact and reproducible, and converted to krilla's `f32` only in the functions
//! below — the only code in the service allowed to name a float.

#![allow(clippy::disallowed_types, clippy::float_arithmetic)]

use krilla::geom::{PathBuilder, Point, Rect};

/// A length in hundredths of a PDF point (1 pt = 1/72 inch): `100` is one point.
pub(super) type Cpt = i32;

/// `n` points as [`Cpt`].
pub(super) const fn pt(n: i32) -> Cpt {
    n * 100
}

/// An A4 page: 595 × 842 pt.
pub(super) const PAGE_WIDTH: Cpt = pt(595);
pub(super) const PAGE_HEIGHT: Cpt = pt(842);

/// A point on the page (origin top left, y down, as krilla has it).
pub(super) fn point(x: Cpt, y: Cpt) -> Point {
    Point::from_xy(to_f32(x), to_f32(y))
}

/// A font size for krilla.
pub(super) fn size(size: Cpt) -> f32 {
    to_f32(size)
}

/// A glyph's advance or offset in font units as the fraction of the em krilla wants.
pub(super) fn em_fraction(units: i32, units_per_em: i32) -> f32 {
    units as f32 / units_per_em.max(1) as f32
}

/// The page size for krilla.
pub(super) fn page_size() -> (f32, f32) {
    (to_f32(PAGE_WIDTH), to_f32(PAGE_HEIGHT))
}

/// A filled rectangle's path.
pub(super) fn rectangle(
    left: Cpt,
    top: Cpt,
    width: Cpt,
    height: Cpt,
) -> Option<krilla::geom::Path> {
    let rect = Rect::from_xywh(to_f32(left), to_f32(top), to_f32(width), to_f32(height))?;
    let mut builder = PathBuilder::new();
    builder.push_rect(rect);
    builder.finish()
}

/// Filled rectangles `(left, top, width, height)` as one path (a QR code's dark modules).
pub(super) fn rectangles(rects: &[(Cpt, Cpt, Cpt, Cpt)]) -> Option<krilla::geom::Path> {
    let mut builder = PathBuilder::new();
    for &(left, top, width, height) in rects {
        builder.push_rect(Rect::from_xywh(
            to_f32(left),
            to_f32(top),
            to_f32(width),
            to_f32(height),
        )?);
    }
    builder.finish()
}

fn to_f32(value: Cpt) -> f32 {
    value as f32 / 100.0
}
