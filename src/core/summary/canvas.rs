//! Drawing on a pixmap for the summary's chart: rectangles, lines, dashed lines, dots and text
//! in the embedded DejaVu font, and the PNG encoding; [`super::chart`] decides what goes where.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Stroke, StrokeDash, Transform};

pub(super) struct Canvas {
    pub pixmap: Pixmap,
    pub font: FontRef<'static>,
    pub bold: FontRef<'static>,
}

impl Canvas {
    pub fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color) {
        if let Some(rect) = Rect::from_xywh(x, y, width.max(0.5), height) {
            let mut paint = Paint::default();
            paint.set_color(color);
            self.pixmap
                .fill_rect(rect, &paint, Transform::identity(), None);
        }
    }

    pub fn line(&mut self, points: &[(f32, f32)], color: Color, width: f32) {
        let mut path = PathBuilder::new();
        for (index, (x, y)) in points.iter().enumerate() {
            if index == 0 {
                path.move_to(*x, *y);
            } else {
                path.line_to(*x, *y);
            }
        }
        if let Some(path) = path.finish() {
            let mut paint = Paint::default();
            paint.set_color(color);
            paint.anti_alias = true;
            let stroke = Stroke {
                width,
                ..Stroke::default()
            };
            self.pixmap
                .stroke_path(&path, &paint, &stroke, Transform::identity(), None);
        }
    }

    pub fn dashed(&mut self, points: &[(f32, f32)], color: Color, width: f32) {
        let mut path = PathBuilder::new();
        for (index, (x, y)) in points.iter().enumerate() {
            if index == 0 {
                path.move_to(*x, *y);
            } else {
                path.line_to(*x, *y);
            }
        }
        if let Some(path) = path.finish() {
            let mut paint = Paint::default();
            paint.set_color(color);
            paint.anti_alias = true;
            let stroke = Stroke {
                width,
                dash: StrokeDash::new(vec![12.0, 8.0], 0.0),
                ..Stroke::default()
            };
            self.pixmap
                .stroke_path(&path, &paint, &stroke, Transform::identity(), None);
        }
    }

    pub fn dot(&mut self, x: f32, y: f32, radius: f32, color: Color) {
        if let Some(path) = PathBuilder::from_circle(x, y, radius) {
            let mut paint = Paint::default();
            paint.set_color(color);
            paint.anti_alias = true;
            self.pixmap.fill_path(
                &path,
                &paint,
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }

    /// Width of `text` at `size` pixels.
    pub fn measure(&self, text: &str, size: f32) -> f32 {
        let font = self.font.as_scaled(PxScale::from(size));
        text.chars().map(|c| font.h_advance(font.glyph_id(c))).sum()
    }

    pub fn bold_text(
        &mut self,
        text: &str,
        x: f32,
        y: f32,
        size: f32,
        color: [u8; 3],
        max_width: Option<f32>,
    ) {
        let regular = std::mem::replace(&mut self.font, self.bold.clone());
        self.text(text, x, y, size, color, max_width);
        self.font = regular;
    }

    /// Draws `text` with its baseline at `y`, shrinking it to fit `max_width` when given.
    pub fn text(
        &mut self,
        text: &str,
        x: f32,
        y: f32,
        size: f32,
        color: [u8; 3],
        max_width: Option<f32>,
    ) {
        // Shrink a little to fit, then cut: text much smaller would be unreadable on a phone.
        let mut text = text.to_string();
        let size = match max_width {
            Some(max) => {
                let width = self.measure(&text, size);
                let size = if width > max {
                    (size * max / width).max(size * 0.8)
                } else {
                    size
                };
                while self.measure(&text, size) > max && text.chars().count() > 1 {
                    text.pop();
                    text.pop();
                    text.push('…');
                }
                size
            }
            None => size,
        };
        let scaled = self.font.as_scaled(PxScale::from(size));
        let mut caret = x;
        let mut previous = None;
        let (width, height) = (self.pixmap.width() as i32, self.pixmap.height() as i32);
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                caret += scaled.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(PxScale::from(size), ab_glyph::point(caret, y));
            caret += scaled.h_advance(id);
            previous = Some(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let data = self.pixmap.data_mut();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i32 + gx as i32;
                let py = bounds.min.y as i32 + gy as i32;
                if px < 0 || py < 0 || px >= width || py >= height {
                    return;
                }
                let at = ((py * width + px) * 4) as usize;
                let alpha = coverage.clamp(0.0, 1.0);
                for channel in 0..3 {
                    let under = f32::from(data[at + channel]);
                    data[at + channel] =
                        (under * (1.0 - alpha) + f32::from(color[channel]) * alpha) as u8;
                }
            });
        }
    }
}

pub(super) fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::from_rgba8(r, g, b, 255)
}

pub(super) fn color([r, g, b]: [u8; 3]) -> Color {
    rgb(r, g, b)
}

pub(super) fn encode(pixmap: &Pixmap) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("PNG header into memory");
        // Every pixel is opaque (white background), so premultiplied equals straight alpha.
        writer
            .write_image_data(pixmap.data())
            .expect("PNG data into memory");
    }
    out
}
