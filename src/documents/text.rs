//! Lines of text for a page: put in visual order by the Unicode bidirectional algorithm
//! (`unicode-bidi`), each directional run shaped (`rustybuzz`: Arabic letters joined, marks
//! placed, lam-alef ligatures, mirrored brackets in right-to-left runs), measured in integer
//! hundredths of a point, wrapped at spaces, and drawn by krilla with each glyph mapped back to
//! the text it shows — so a reader's copy, search or `pdftotext` gets the logical text back.
//!
//! The one font is DejaVu Sans (regular and bold), compiled in from the `dejavu` crate: it has
//! Latin, the Arabic block and its OpenType joining features, so a line mixing both needs no
//! fallback, and no font is read from the disk or fetched at run time.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use unicode_bidi::{Level, ParagraphBidiInfo};

use super::geometry::{Cpt, em_fraction, point};

/// The weight of a piece of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// A paragraph's direction: which side its lines start from, and the bidi algorithm's base
/// level. `Auto` takes it from the first strong letter (a name may be Arabic or Latin).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Direction {
    Ltr,
    Rtl,
    Auto,
}

/// Where a line sits in its box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Align {
    /// At the start of its direction: left for LTR, right for RTL.
    Start,
    Center,
    End,
}

/// A style: weight and size (hundredths of a point).
#[derive(Clone, Copy, Debug)]
pub(super) struct Style {
    pub weight: Weight,
    pub size: Cpt,
}

/// One font in its two uses: krilla's (embedded, subset) and rustybuzz's (shaping).
struct Face {
    pdf: Font,
    shaper: rustybuzz::Face<'static>,
    units_per_em: i32,
    /// rustybuzz's shape plans, made once per direction and script (`rustybuzz::shape`
    /// makes one for every run: a twentieth of a receipt's CPU, issue 16).
    plans: Mutex<HashMap<PlanKey, Arc<rustybuzz::ShapePlan>>>,
}

/// What a shape plan depends on besides the face: the direction and the script (the
/// language is never set, the features are the font's defaults).
type PlanKey = (bool, Option<rustybuzz::Script>);

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Face")
            .field("units_per_em", &self.units_per_em)
            .finish_non_exhaustive()
    }
}

impl Face {
    /// Shapes with the font as it is; embeds its copy without hinting (`unhinted.rs`).
    fn load(bytes: &'static [u8]) -> Result<Face, super::DocumentError> {
        let shaper = rustybuzz::Face::from_slice(bytes, 0).ok_or(super::DocumentError::Font)?;
        let embedded = super::unhinted::without_hinting(bytes).ok_or(super::DocumentError::Font)?;
        let pdf = Font::new(embedded.into(), 0).ok_or(super::DocumentError::Font)?;
        let units_per_em = shaper.units_per_em();
        Ok(Face {
            pdf,
            shaper,
            units_per_em,
            plans: Mutex::default(),
        })
    }

    /// The plan for runs in `rtl` direction of `script`, made on first use.
    fn plan(
        &self,
        rtl: bool,
        script: Option<rustybuzz::Script>,
    ) -> Result<Arc<rustybuzz::ShapePlan>, super::DocumentError> {
        let mut plans = self
            .plans
            .lock()
            .map_err(|_| super::DocumentError::Pdf("the shape plans' cache".to_owned()))?;
        let plan = plans.entry((rtl, script)).or_insert_with(|| {
            Arc::new(rustybuzz::ShapePlan::new(
                &self.shaper,
                direction(rtl),
                script,
                None,
                &[],
            ))
        });
        Ok(Arc::clone(plan))
    }
}

fn direction(rtl: bool) -> rustybuzz::Direction {
    if rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    }
}

#[derive(Debug)]
struct Fonts {
    regular: Face,
    bold: Face,
}

/// The fonts, parsed once per process (the bytes are in the binary).
fn fonts() -> Result<&'static Fonts, super::DocumentError> {
    static FONTS: OnceLock<Result<Fonts, super::DocumentError>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: Face::load(dejavu::sans::regular())?,
                bold: Face::load(dejavu::sans::bold())?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn face(weight: Weight) -> Result<&'static Face, super::DocumentError> {
    let fonts = fonts()?;
    Ok(match weight {
        Weight::Regular => &fonts.regular,
        Weight::Bold => &fonts.bold,
    })
}

/// One directional run of a line, shaped: its glyphs in visual order (left to right).
#[derive(Clone, Debug)]
struct Run {
    text: String,
    glyphs: Vec<ShapedGlyph>,
    /// Sum of the advances, in font units.
    advance: i32,
}

#[derive(Clone, Debug)]
struct ShapedGlyph {
    id: u32,
    x_advance: i32,
    x_offset: i32,
    y_offset: i32,
    /// The bytes of the run's text this glyph shows (its cluster).
    cluster: Range<usize>,
}

/// A line ready to draw: runs in visual order, its width, its direction.
#[derive(Clone, Debug)]
pub(super) struct Line {
    #[cfg(test)]
    text: String,
    runs: Vec<Run>,
    style: Style,
    width: Cpt,
    rtl: bool,
}

impl Line {
    /// `text` on one line (no wrapping), in `direction`.
    pub(super) fn new(
        text: &str,
        style: Style,
        direction: Direction,
    ) -> Result<Line, super::DocumentError> {
        let face = face(style.weight)?;
        let (pieces, rtl) = directional_runs(text, direction);
        let mut runs = Vec::with_capacity(pieces.len());
        for (piece, run_rtl) in pieces {
            runs.push(shape(face, piece, run_rtl)?);
        }
        let advance: i32 = runs.iter().map(|r| r.advance).sum();
        Ok(Line {
            #[cfg(test)]
            text: text.to_owned(),
            width: scale(advance, style.size, face.units_per_em),
            runs,
            style,
            rtl,
        })
    }

    /// The runs' texts in visual order, left to right.
    #[cfg(test)]
    pub(super) fn visual_texts(&self) -> Vec<&str> {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }

    /// The glyphs in visual order.
    #[cfg(test)]
    pub(super) fn glyph_ids(&self) -> Vec<u32> {
        self.runs
            .iter()
            .flat_map(|r| r.glyphs.iter().map(|g| g.id))
            .collect()
    }

    /// The text the line was made from.
    #[cfg(test)]
    pub(super) fn logical_text(&self) -> String {
        self.text.clone()
    }

    /// The line's width in hundredths of a point.
    pub(super) fn width(&self) -> Cpt {
        self.width
    }

    /// Draws the line on the baseline `y`, inside the box from `left` to `right`.
    pub(super) fn draw(
        &self,
        surface: &mut Surface<'_>,
        left: Cpt,
        right: Cpt,
        y: Cpt,
        align: Align,
    ) -> Result<(), super::DocumentError> {
        let face = face(self.style.weight)?;
        let room = right - left;
        let x = match (align, self.rtl) {
            (Align::Center, _) => left + (room - self.width) / 2,
            (Align::Start, false) | (Align::End, true) => left,
            (Align::Start, true) | (Align::End, false) => right - self.width,
        };
        let mut x = x;
        for run in &self.runs {
            let glyphs: Vec<KrillaGlyph> = run
                .glyphs
                .iter()
                .map(|g| {
                    KrillaGlyph::new(
                        GlyphId::new(g.id),
                        em_fraction(g.x_advance, face.units_per_em),
                        em_fraction(g.x_offset, face.units_per_em),
                        em_fraction(g.y_offset, face.units_per_em),
                        em_fraction(0, face.units_per_em),
                        g.cluster.clone(),
                        None,
                    )
                })
                .collect();
            surface.draw_glyphs(
                point(x, y),
                &glyphs,
                face.pdf.clone(),
                &run.text,
                super::geometry::size(self.style.size),
                false,
            );
            x += scale(run.advance, self.style.size, face.units_per_em);
        }
        Ok(())
    }
}

/// `text` broken at spaces into lines no wider than `width` (a word wider than the width
/// stays whole on its own line), each laid out in `direction`.
pub(super) fn wrap(
    text: &str,
    style: Style,
    direction: Direction,
    width: Cpt,
) -> Result<Vec<Line>, super::DocumentError> {
    let whole = Line::new(text, style, direction)?;
    if whole.width() <= width {
        return Ok(vec![whole]);
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && Line::new(&candidate, style, direction)?.width() > width {
            lines.push(Line::new(&current, style, direction)?);
            current = word.to_owned();
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(Line::new(&current, style, direction)?);
    }
    Ok(lines)
}

/// `text` kept in its own left-to-right isolate inside a paragraph of either direction (what
/// `<bdi>` does on the pages): a number, date or reference after Arabic letters would
/// otherwise be split at its separators (`2026-11` shown as `11-2026`).
pub(super) fn isolate_ltr(text: &str) -> String {
    format!("\u{2066}{text}\u{2069}")
}

/// The invisible characters that steer the bidi algorithm.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A line's directional runs in visual order (each with its direction, the controls that
/// steered the ordering left out), and whether the paragraph is right to left.
fn directional_runs(text: &str, direction: Direction) -> (Vec<(String, bool)>, bool) {
    // Below the Hebrew block no character is right to left, Arabic digits or a bidi
    // control: in a paragraph that is not right to left every such character resolves to
    // level 0 (digits after the start of a left-to-right paragraph become left to right,
    // rule W7), so the whole text is one left-to-right run — what the algorithm below gives,
    // without its per-byte tables (numbers, dates, references, French words).
    if direction != Direction::Rtl && text.chars().all(|c| c < '\u{0590}') {
        let runs = if text.is_empty() {
            Vec::new()
        } else {
            vec![(text.to_owned(), false)]
        };
        return (runs, false);
    }
    bidi_runs(text, direction)
}

/// [`directional_runs`] by the Unicode bidirectional algorithm, for any text.
fn bidi_runs(text: &str, direction: Direction) -> (Vec<(String, bool)>, bool) {
    let base = match direction {
        Direction::Ltr => Some(Level::ltr()),
        Direction::Rtl => Some(Level::rtl()),
        Direction::Auto => None,
    };
    let bidi = ParagraphBidiInfo::new(text, base);
    let rtl = bidi.paragraph_level.is_rtl();
    let mut runs = Vec::new();
    if !text.is_empty() {
        let (levels, visual) = bidi.visual_runs(0..text.len());
        for range in visual {
            let level = levels[range.start];
            // The isolates and marks that steered the ordering are not drawn.
            let piece: String = text[range]
                .chars()
                .filter(|c| !is_bidi_control(*c))
                .collect();
            if !piece.is_empty() {
                runs.push((piece, level.is_rtl()));
            }
        }
    }
    (runs, rtl)
}

/// Both ways of finding a line's runs, for the tests: the short cut, then the algorithm.
#[cfg(test)]
pub(super) type RunsBothWays = ((Vec<(String, bool)>, bool), (Vec<(String, bool)>, bool));

#[cfg(test)]
pub(super) fn runs_both_ways(text: &str, direction: Direction) -> RunsBothWays {
    (
        directional_runs(text, direction),
        bidi_runs(text, direction),
    )
}

/// [`wrap`] for the documents' own fixed texts (labels, headings, the fund's name, what a
/// receipt proves): laid out once per process and shared by every document after, so a
/// receipt shapes only what is its own.
pub(super) fn wrap_fixed(
    text: &'static str,
    style: Style,
    direction: Direction,
    width: Cpt,
) -> Result<&'static [Line], super::DocumentError> {
    type Key = (&'static str, Weight, Cpt, Direction, Cpt);
    static DONE: OnceLock<Mutex<HashMap<Key, &'static [Line]>>> = OnceLock::new();
    let key = (text, style.weight, style.size, direction, width);
    let mut done = DONE
        .get_or_init(Mutex::default)
        .lock()
        .map_err(|_| super::DocumentError::Pdf("the fixed texts' cache".to_owned()))?;
    if let Some(lines) = done.get(&key) {
        return Ok(lines);
    }
    // Leaked once per fixed text and style: a bounded set, kept for the process's life.
    let lines: &'static [Line] = Box::leak(wrap(text, style, direction, width)?.into_boxed_slice());
    done.insert(key, lines);
    Ok(lines)
}

/// [`wrap`] for a value that many documents of a day share — a date, a period, the fund's
/// name, a label with no variable part: laid out once and copied from then on. A bounded
/// cache (emptied when full), so a long-running server keeps at most a few hundred.
pub(super) fn wrap_shared(
    text: &str,
    style: Style,
    direction: Direction,
    width: Cpt,
) -> Result<Vec<Line>, super::DocumentError> {
    type Key = (String, Weight, Cpt, Direction, Cpt);
    const MOST: usize = 512;
    static DONE: OnceLock<Mutex<HashMap<Key, Vec<Line>>>> = OnceLock::new();
    let cache = DONE.get_or_init(Mutex::default);
    let key = (text.to_owned(), style.weight, style.size, direction, width);
    let poisoned = || super::DocumentError::Pdf("the shared texts' cache".to_owned());
    if let Some(lines) = cache.lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(lines.clone());
    }
    // Laid out outside the lock: two threads may both lay out a new value once.
    let lines = wrap(text, style, direction, width)?;
    let mut done = cache.lock().map_err(|_| poisoned())?;
    if done.len() >= MOST {
        done.clear();
    }
    done.insert(key, lines.clone());
    Ok(lines)
}

/// [`Line::new`] through [`wrap_shared`]'s cache.
pub(super) fn line_shared(
    text: &str,
    style: Style,
    direction: Direction,
) -> Result<Line, super::DocumentError> {
    // Never wrapped at this width: exactly one line.
    wrap_shared(text, style, direction, Cpt::MAX)?
        .pop()
        .ok_or_else(|| super::DocumentError::Pdf("a shared line".to_owned()))
}

/// Shapes one directional run; rustybuzz returns right-to-left runs already in visual
/// order, which is the order krilla draws in. What `rustybuzz::shape` does, with the face's
/// kept plan for the run's direction and script.
fn shape(face: &Face, text: String, rtl: bool) -> Result<Run, super::DocumentError> {
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(&text);
    buffer.guess_segment_properties();
    buffer.set_direction(direction(rtl));
    // The guess leaves no script for a run of digits and punctuation (`UNKNOWN` here).
    let script = Some(buffer.script()).filter(|s| *s != rustybuzz::script::UNKNOWN);
    let plan = face.plan(rtl, script)?;
    let shaped = rustybuzz::shape_with_plan(&face.shaper, &plan, buffer);
    let infos = shaped.glyph_infos();
    let positions = shaped.glyph_positions();
    // A cluster ends where the next cluster (in the text's order) begins.
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let glyphs = infos
        .iter()
        .zip(positions)
        .map(|(info, position)| {
            let start = info.cluster as usize;
            let end = starts
                .get(starts.partition_point(|&s| s <= start))
                .copied()
                .unwrap_or(text.len());
            ShapedGlyph {
                id: info.glyph_id,
                x_advance: position.x_advance,
                x_offset: position.x_offset,
                y_offset: position.y_offset,
                cluster: start..end,
            }
        })
        .collect::<Vec<_>>();
    Ok(Run {
        advance: glyphs.iter().map(|g| g.x_advance).sum(),
        text,
        glyphs,
    })
}

/// A shaped glyph as the tests compare it: glyph, advance, offsets and cluster start.
#[cfg(test)]
pub(super) type GlyphFacts = (u32, i32, i32, i32, u32);

/// One run shaped through the face's kept plans (`fresh: false`) or by `rustybuzz::shape`
/// with a plan of its own (`fresh: true`): glyph, advance and offsets of each glyph.
#[cfg(test)]
pub(super) fn shaped(
    text: &str,
    weight: Weight,
    rtl: bool,
    fresh: bool,
) -> Result<Vec<GlyphFacts>, super::DocumentError> {
    let face = face(weight)?;
    if !fresh {
        return Ok(shape(face, text.to_owned(), rtl)?
            .glyphs
            .iter()
            .map(|g| {
                let cluster = u32::try_from(g.cluster.start).unwrap_or(u32::MAX);
                (g.id, g.x_advance, g.x_offset, g.y_offset, cluster)
            })
            .collect());
    }
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(direction(rtl));
    let shaped = rustybuzz::shape(&face.shaper, &[], buffer);
    Ok(shaped
        .glyph_infos()
        .iter()
        .zip(shaped.glyph_positions())
        .map(|(i, p)| (i.glyph_id, p.x_advance, p.x_offset, p.y_offset, i.cluster))
        .collect())
}

/// Font units at `size` (hundredths of a point) as hundredths of a point.
fn scale(units: i32, size: Cpt, units_per_em: i32) -> Cpt {
    let scaled = i64::from(units) * i64::from(size) / i64::from(units_per_em.max(1));
    Cpt::try_from(scaled).unwrap_or(Cpt::MAX)
}
