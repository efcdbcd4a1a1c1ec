//! An RGB image in memory and what every rendition does to it: fit, orient, encode.

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// 8-bit RGB, rows packed.
#[derive(Clone)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Rgb {
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<Self, String> {
        if width == 0 || height == 0 || data.len() < width as usize * height as usize * 3 {
            return Err(format!(
                "decoder returned an invalid {width}x{height} image"
            ));
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// Scales down (never up) so the long side is at most `max_side`.
    pub fn fit(self, max_side: u32) -> Result<Self, String> {
        let (w, h) = fit_within(self.width, self.height, max_side);
        if (w, h) == (self.width, self.height) {
            return Ok(self);
        }
        let src = FirImage::from_vec_u8(self.width, self.height, self.data, PixelType::U8x3)
            .map_err(|e| e.to_string())?;
        let mut dst = FirImage::new(w, h, PixelType::U8x3);
        Resizer::new()
            .resize(
                &src,
                &mut dst,
                &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
            )
            .map_err(|e| e.to_string())?;
        Self::new(w, h, dst.into_vec())
    }

    /// Applies an EXIF orientation (1-8) so the image is upright.
    pub fn orient(self, orientation: u16) -> Self {
        match orientation {
            2 => self.remap(false, |x, y, w, _| (w - 1 - x, y)),
            3 => self.remap(false, |x, y, w, h| (w - 1 - x, h - 1 - y)),
            4 => self.remap(false, |x, y, _, h| (x, h - 1 - y)),
            // For the transposing ones, (x, y) is a pixel of the output, (w, h) the input's size.
            5 => self.remap(true, |x, y, _, _| (y, x)),
            6 => self.remap(true, |x, y, _, h| (y, h - 1 - x)),
            7 => self.remap(true, |x, y, w, h| (w - 1 - y, h - 1 - x)),
            8 => self.remap(true, |x, y, w, _| (w - 1 - y, x)),
            _ => self,
        }
    }

    /// Builds the output pixel by pixel from `source(x, y, w, h)` -> input coordinates.
    fn remap(self, transpose: bool, source: impl Fn(u32, u32, u32, u32) -> (u32, u32)) -> Self {
        let (w, h) = (self.width, self.height);
        let (ow, oh) = if transpose { (h, w) } else { (w, h) };
        let mut out = vec![0u8; self.data.len()];
        for y in 0..oh {
            for x in 0..ow {
                let (sx, sy) = source(x, y, w, h);
                let s = (sy as usize * w as usize + sx as usize) * 3;
                let d = (y as usize * ow as usize + x as usize) * 3;
                out[d..d + 3].copy_from_slice(&self.data[s..s + 3]);
            }
        }
        Self {
            width: ow,
            height: oh,
            data: out,
        }
    }

    pub fn encode_jpeg(&self, quality: i32) -> Result<Vec<u8>, String> {
        let image = turbojpeg::Image {
            pixels: &self.data[..],
            width: self.width as usize,
            pitch: self.width as usize * 3,
            height: self.height as usize,
            format: turbojpeg::PixelFormat::RGB,
        };
        turbojpeg::compress(image, quality, turbojpeg::Subsamp::Sub2x2)
            .map(|buf| buf.to_vec())
            .map_err(|e| e.to_string())
    }
}

/// The size of a `width`x`height` image scaled to fit a `max_side` square, at least 1x1.
pub fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_side {
        return (width, height);
    }
    let scale = max_side as f64 / long as f64;
    let w = ((width as f64 * scale).round() as u32).clamp(1, max_side);
    let h = ((height as f64 * scale).round() as u32).clamp(1, max_side);
    (w, h)
}

/// Whether an EXIF orientation swaps width and height.
pub fn swaps_axes(orientation: u16) -> bool {
    (5..=8).contains(&orientation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 image whose pixels are numbered 0..6 row by row.
    fn numbered() -> Rgb {
        Rgb::new(3, 2, (0..6u8).flat_map(|i| [i, i, i]).collect()).unwrap()
    }

    fn firsts(image: &Rgb) -> Vec<u8> {
        image.data.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn every_orientation_puts_the_pixels_upright() {
        // Stored image, per orientation, as a camera writes it; orienting gives 0 1 2 / 3 4 5.
        // Expected output for the stored grid [0 1 2 / 3 4 5] under each tag:
        let cases: [(u16, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [0, 1, 2, 3, 4, 5]),
            (2, (3, 2), [2, 1, 0, 5, 4, 3]),
            (3, (3, 2), [5, 4, 3, 2, 1, 0]),
            (4, (3, 2), [3, 4, 5, 0, 1, 2]),
            (5, (2, 3), [0, 3, 1, 4, 2, 5]),
            (6, (2, 3), [3, 0, 4, 1, 5, 2]),
            (7, (2, 3), [5, 2, 4, 1, 3, 0]),
            (8, (2, 3), [2, 5, 1, 4, 0, 3]),
        ];
        for (tag, (w, h), expected) in cases {
            let out = numbered().orient(tag);
            assert_eq!((out.width, out.height), (w, h), "orientation {tag}");
            assert_eq!(firsts(&out), expected, "orientation {tag}");
        }
    }

    #[test]
    fn fitting_keeps_the_aspect_ratio_and_never_upscales() {
        assert_eq!(fit_within(4000, 3000, 512), (512, 384));
        assert_eq!(fit_within(3000, 4000, 512), (384, 512));
        assert_eq!(fit_within(300, 200, 512), (300, 200));
        assert_eq!(fit_within(10000, 10, 512), (512, 1));
    }
}
