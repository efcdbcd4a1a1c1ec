//! A perceptual hash, to find the same photo again at another size or quality, a little
//! brighter or darker, or slightly cropped: a 128-bit difference hash (dHash) of the grid
//! thumbnail. The image is turned grey and shrunk by area averaging to 9x8 cells (and 8x9
//! for the vertical half); each bit says whether a cell is darker than its right (lower)
//! neighbour. Resizing, recompression and brightness leave those comparisons alone; a
//! small crop changes a few. Photos are near-duplicates when few bits differ.

use super::pixels::Rgb;

/// Bytes in a hash.
pub const LEN: usize = 16;

pub fn dhash(image: &Rgb) -> [u8; LEN] {
    let horizontal = differences(&cells(image, 9, 8), 9, 8, 1);
    let vertical = differences(&cells(image, 8, 9), 8, 9, 8);
    let mut hash = [0u8; LEN];
    hash[..8].copy_from_slice(&horizontal.to_be_bytes());
    hash[8..].copy_from_slice(&vertical.to_be_bytes());
    hash
}

/// How many bits two hashes differ in (0 ..= 128).
pub fn distance(a: &[u8; LEN], b: &[u8; LEN]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Mean luma of each of `cols` x `rows` cells, row by row.
fn cells(image: &Rgb, cols: usize, rows: usize) -> Vec<f32> {
    let (w, h) = (image.width as usize, image.height as usize);
    let mut out = Vec::with_capacity(cols * rows);
    for row in 0..rows {
        let (y0, y1) = span(row, rows, h);
        for col in 0..cols {
            let (x0, x1) = span(col, cols, w);
            let mut sum = 0f32;
            for y in y0..y1 {
                let line = &image.data[(y * w + x0) * 3..(y * w + x1) * 3];
                for px in line.chunks_exact(3) {
                    sum += 0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32;
                }
            }
            out.push(sum / ((y1 - y0) * (x1 - x0)) as f32);
        }
    }
    out
}

/// The pixels of cell `i` of `n` along a side of `len` (never empty).
fn span(i: usize, n: usize, len: usize) -> (usize, usize) {
    let start = (i * len / n).min(len - 1);
    (start, ((i + 1) * len / n).max(start + 1))
}

/// 64 comparisons of each cell with the next one `step` cells on.
fn differences(cells: &[f32], cols: usize, rows: usize, step: usize) -> u64 {
    let mut bits = 0u64;
    let (pairs_across, pairs_down) = if step == 1 {
        (cols - 1, rows)
    } else {
        (cols, rows - 1)
    };
    for row in 0..pairs_down {
        for col in 0..pairs_across {
            let at = row * cols + col;
            bits = bits << 1 | u64::from(cells[at] < cells[at + step]);
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same smooth picture at any size (a function of the relative position).
    fn gradient(width: u32, height: u32, brighter: u8) -> Rgb {
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                let (u, v) = (x as f32 / width as f32, y as f32 / height as f32);
                let level = 110.0 + 90.0 * (6.0 * u).sin() * (4.0 * v + 1.0).cos();
                let value = (level as u8).saturating_add(brighter);
                data.extend([value, value / 2, 255 - value]);
            }
        }
        Rgb::new(width, height, data).unwrap()
    }

    #[test]
    fn the_same_picture_at_another_size_or_brightness_hashes_alike() {
        let a = dhash(&gradient(512, 384, 0));
        assert_eq!(distance(&a, &a), 0);
        assert!(distance(&a, &dhash(&gradient(256, 192, 0))) <= 8);
        assert!(distance(&a, &dhash(&gradient(512, 384, 20))) <= 8);
        // Tiny and one-pixel images hash without dividing by zero.
        dhash(&gradient(1, 1, 0));
        dhash(&gradient(3, 700, 0));
    }
}
