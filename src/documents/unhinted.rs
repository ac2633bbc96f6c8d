//! The copy of a TrueType font that the documents embed: the same glyphs under the same ids,
//! the same outlines and metrics, without its TrueType hinting — each glyph's instructions
//! and the `fpgm`, `prep` and `cvt ` programs they call (with `hdmx`, `LTSH` and `VDMX`,
//! which only describe hinted sizes). Hinting only steers a rasteriser at small pixel sizes
//! on screens; PDF viewers and printers draw the outlines without it. The `post` table
//! keeps its header but not its glyph names (version 3): a PDF finds a glyph by its id and
//! its text through the ToUnicode map, never by a PostScript glyph name. The `name` table,
//! with the licence, is kept whole. Made once per process
//! (see `text.rs`): every receipt's font subsets are then smaller to write and to deflate,
//! which is most of the cost of a receipt (issue 16, BENCHMARKS.md). Shaping keeps reading
//! the original font.
//!
//! Byte-level, after the OpenType specification's `glyf`, `loca` and `head` tables: a font
//! it cannot read is refused (`None`), never half-rewritten.

/// The tables left out: the hinting programs and the tables that only serve hinted sizes.
const DROPPED: [&[u8; 4]; 6] = [b"cvt ", b"fpgm", b"prep", b"hdmx", b"LTSH", b"VDMX"];

/// The fixed part of a `post` table, before a version 2 table's glyph names.
const POST_HEADER: usize = 32;

/// A composite glyph's component flags (OpenType `glyf`).
const ARG_1_AND_2_ARE_WORDS: u16 = 0x0001;
const WE_HAVE_A_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE: u16 = 0x0040;
const WE_HAVE_A_TWO_BY_TWO: u16 = 0x0080;
const WE_HAVE_INSTRUCTIONS: u16 = 0x0100;

/// `font` without its hinting (see the module), or `None` if it is not a TrueType font
/// this can read.
pub(super) fn without_hinting(font: &[u8]) -> Option<Vec<u8>> {
    let tables = directory(font)?;
    let table = |tag: &[u8; 4]| {
        tables
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, bytes)| *bytes)
    };
    let head = table(b"head")?;
    let glyph_count = usize::from(read_u16(table(b"maxp")?, 4)?);
    let long_loca = read_u16(head, 50)? == 1;
    let loca = table(b"loca")?;
    let glyf = table(b"glyf")?;

    let mut new_glyf = Vec::with_capacity(glyf.len());
    let mut new_loca = Vec::with_capacity(4 * (glyph_count + 1));
    for id in 0..glyph_count {
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
        let start = loca_offset(loca, id, long_loca)?;
        let end = loca_offset(loca, id + 1, long_loca)?;
        let glyph = glyf.get(start..end)?;
        if !glyph.is_empty() {
            strip_glyph(glyph, &mut new_glyf)?;
            if new_glyf.len() % 2 == 1 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());

    // The long `loca` format: the glyphs are more than its short form can address.
    let mut new_head = head.to_vec();
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&1u16.to_be_bytes());
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]);
    // `post` version 3.0: the same 32-byte header (italic angle, underline, fixed pitch),
    // no glyph names.
    let mut new_post = table(b"post")?.get(..POST_HEADER)?.to_vec();
    new_post
        .get_mut(0..4)?
        .copy_from_slice(&0x0003_0000u32.to_be_bytes());

    let kept: Vec<([u8; 4], &[u8])> = tables
        .iter()
        .filter(|(tag, _)| !DROPPED.contains(&tag))
        .map(|&(tag, bytes)| match &tag {
            b"glyf" => (tag, new_glyf.as_slice()),
            b"loca" => (tag, new_loca.as_slice()),
            b"head" => (tag, new_head.as_slice()),
            b"post" => (tag, new_post.as_slice()),
            _ => (tag, bytes),
        })
        .collect();
    assemble(read_u32(font, 0)?, &kept)
}

/// The table records of `font`: each tag with its bytes, in the directory's order.
fn directory(font: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    let count = usize::from(read_u16(font, 4)?);
    (0..count)
        .map(|i| {
            let record = 12 + 16 * i;
            let tag: [u8; 4] = font.get(record..record + 4)?.try_into().ok()?;
            let offset = usize::try_from(read_u32(font, record + 8)?).ok()?;
            let length = usize::try_from(read_u32(font, record + 12)?).ok()?;
            Some((tag, font.get(offset..offset.checked_add(length)?)?))
        })
        .collect()
}

fn loca_offset(loca: &[u8], id: usize, long: bool) -> Option<usize> {
    if long {
        usize::try_from(read_u32(loca, 4 * id)?).ok()
    } else {
        Some(2 * usize::from(read_u16(loca, 2 * id)?))
    }
}

/// Appends `glyph` to `out` without its instructions.
fn strip_glyph(glyph: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let contours = i16::from_be_bytes(glyph.get(0..2)?.try_into().ok()?);
    if contours >= 0 {
        // Header, end points of contours, instruction length, instructions, then the
        // flags and coordinates.
        let length_at = 10 + 2 * usize::try_from(contours).ok()?;
        let instructions = usize::from(read_u16(glyph, length_at)?);
        out.extend_from_slice(glyph.get(..length_at)?);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(glyph.get(length_at + 2 + instructions..)?);
    } else {
        // The header, then each component with its instruction flag cleared, up to the
        // last one (its instructions, if any, follow it and are left out).
        out.extend_from_slice(glyph.get(..10)?);
        let mut at = 10;
        loop {
            let flags = read_u16(glyph, at)?;
            let arguments = if flags & ARG_1_AND_2_ARE_WORDS != 0 {
                4
            } else {
                2
            };
            let transform = if flags & WE_HAVE_A_SCALE != 0 {
                2
            } else if flags & WE_HAVE_AN_X_AND_Y_SCALE != 0 {
                4
            } else if flags & WE_HAVE_A_TWO_BY_TWO != 0 {
                8
            } else {
                0
            };
            let next = at + 4 + arguments + transform;
            out.extend_from_slice(&(flags & !WE_HAVE_INSTRUCTIONS).to_be_bytes());
            out.extend_from_slice(glyph.get(at + 2..next)?);
            at = next;
            if flags & MORE_COMPONENTS == 0 {
                break;
            }
        }
    }
    Some(())
}

/// A font file of `tables` (already in tag order): the directory, each table 4-byte
/// aligned, their checksums and the whole file's in `head`.
fn assemble(version: u32, tables: &[([u8; 4], &[u8])]) -> Option<Vec<u8>> {
    let count = u16::try_from(tables.len()).ok()?;
    let power = if count == 0 {
        0
    } else {
        15 - count.leading_zeros()
    };
    let search_range = (1u16 << power) * 16;
    let mut font = Vec::new();
    font.extend_from_slice(&version.to_be_bytes());
    for field in [
        count,
        search_range,
        u16::try_from(power).ok()?,
        count * 16 - search_range,
    ] {
        font.extend_from_slice(&field.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, bytes) in tables {
        font.extend_from_slice(tag);
        font.extend_from_slice(&checksum(bytes).to_be_bytes());
        font.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        font.extend_from_slice(&u32::try_from(bytes.len()).ok()?.to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += bytes.len().next_multiple_of(4);
    }
    for (_, bytes) in tables {
        font.extend_from_slice(bytes);
        font.resize(font.len().next_multiple_of(4), 0);
    }
    let adjustment = 0xB1B0_AFBA_u32.wrapping_sub(checksum(&font));
    let at = head_at? + 8;
    font.get_mut(at..at + 4)?
        .copy_from_slice(&adjustment.to_be_bytes());
    Some(font)
}

/// The OpenType checksum: the sum of the big-endian 32-bit words, the last one padded.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.chunks(4).fold(0u32, |sum, word| {
        let mut padded = [0; 4];
        padded[..word.len()].copy_from_slice(word);
        sum.wrapping_add(u32::from_be_bytes(padded))
    })
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table<'f>(font: &'f [u8], tag: &[u8; 4]) -> Option<&'f [u8]> {
        directory(font)
            .unwrap()
            .into_iter()
            .find(|(t, _)| t == tag)
            .map(|(_, bytes)| bytes)
    }

    fn glyph_count(font: &[u8]) -> u16 {
        read_u16(table(font, b"maxp").unwrap(), 4).unwrap()
    }

    /// How many glyphs carry instructions, and their bytes.
    fn instructions(font: &[u8]) -> (usize, usize) {
        let long = read_u16(table(font, b"head").unwrap(), 50).unwrap() == 1;
        let (loca, glyf) = (table(font, b"loca").unwrap(), table(font, b"glyf").unwrap());
        let (mut glyphs, mut bytes) = (0, 0);
        for id in 0..usize::from(glyph_count(font)) {
            let start = loca_offset(loca, id, long).unwrap();
            let end = loca_offset(loca, id + 1, long).unwrap();
            let glyph = &glyf[start..end];
            if glyph.is_empty() || i16::from_be_bytes([glyph[0], glyph[1]]) < 0 {
                continue;
            }
            let at = 10 + 2 * usize::from(read_u16(glyph, 0).unwrap());
            let length = usize::from(read_u16(glyph, at).unwrap());
            glyphs += usize::from(length > 0);
            bytes += length;
        }
        (glyphs, bytes)
    }

    #[test]
    fn the_unhinted_font_keeps_every_glyph_and_drops_the_programs() {
        for original in [dejavu::sans::regular(), dejavu::sans::bold()] {
            let unhinted = without_hinting(original).unwrap();
            let (hinted_glyphs, hinting) = instructions(original);
            assert!(hinted_glyphs > 400 && hinting > 30_000, "{hinting}");
            assert_eq!(instructions(&unhinted), (0, 0));
            assert!(
                unhinted.len() + hinting < original.len(),
                "{}",
                unhinted.len()
            );
            for dropped in [b"fpgm", b"prep", b"cvt "] {
                assert!(table(original, dropped).is_some());
                assert!(table(&unhinted, dropped).is_none());
            }
            for kept in [b"GSUB", b"GPOS", b"cmap", b"hmtx", b"name"] {
                assert_eq!(table(&unhinted, kept), table(original, kept));
            }
            // The licence stays in the copy that is embedded.
            let name = table(&unhinted, b"name").unwrap();
            let licence: Vec<u8> = "Bitstream Vera Fonts Copyright"
                .encode_utf16()
                .flat_map(u16::to_be_bytes)
                .collect();
            assert!(name.windows(licence.len()).any(|w| w == licence.as_slice()));
            // `post` keeps its header (italic angle, underline, fixed pitch), not its names.
            let (post, original_post) = (
                table(&unhinted, b"post").unwrap(),
                table(original, b"post").unwrap(),
            );
            assert_eq!(read_u32(original_post, 0), Some(0x0002_0000));
            assert_eq!(read_u32(post, 0), Some(0x0003_0000));
            assert_eq!(post[4..], original_post[4..POST_HEADER]);
            assert_eq!(glyph_count(&unhinted), glyph_count(original));
            // The whole file sums to the magic number, as a valid font does.
            assert_eq!(checksum(&unhinted), 0xB1B0_AFBA);

            // Every glyph has the same box and advance for a reader of the new file, and
            // shapes the same (Arabic joining and the lam-alef ligature included).
            let before = rustybuzz::Face::from_slice(original, 0).unwrap();
            let after = rustybuzz::Face::from_slice(&unhinted, 0).unwrap();
            for id in 0..glyph_count(original) {
                let id = rustybuzz::ttf_parser::GlyphId(id);
                assert_eq!(before.glyph_bounding_box(id), after.glyph_bounding_box(id));
                assert_eq!(before.glyph_hor_advance(id), after.glyph_hor_advance(id));
            }
            let shaped = |face: &rustybuzz::Face<'_>| {
                let mut buffer = rustybuzz::UnicodeBuffer::new();
                buffer.push_str("لا إيصال تحصيل 2026 Reçu");
                let glyphs = rustybuzz::shape(face, &[], buffer);
                let ids: Vec<u32> = glyphs.glyph_infos().iter().map(|g| g.glyph_id).collect();
                let advances: Vec<i32> = glyphs
                    .glyph_positions()
                    .iter()
                    .map(|p| p.x_advance)
                    .collect();
                (ids, advances)
            };
            assert_eq!(shaped(&before), shaped(&after));
        }
    }

    #[test]
    fn a_file_that_is_not_a_font_is_refused() {
        assert!(without_hinting(b"not a font").is_none());
        assert!(without_hinting(&dejavu::sans::regular()[..4000]).is_none());
    }
}
