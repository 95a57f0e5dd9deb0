//! The summary's chart as a PNG, drawn in-process (tiny-skia) with an embedded font (DejaVu Sans,
//! which has every Vietnamese diacritic), so it renders the same on any machine without fonts.
//! Top: a bar per factor and the overall index. Bottom: the overall index over four weeks.

use super::WeeklySummary;
use crate::flow::Lang;
use crate::i18n::{self, Locales};
use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Stroke, Transform};

pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 560;

const LABEL_WIDTH: f32 = 330.0;
const BAR_LEFT: f32 = LABEL_WIDTH + 30.0;
const BAR_MAX: f32 = 420.0;

struct Canvas {
    pixmap: Pixmap,
    font: FontRef<'static>,
}

impl Canvas {
    fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color) {
        if let Some(rect) = Rect::from_xywh(x, y, width.max(0.5), height) {
            let mut paint = Paint::default();
            paint.set_color(color);
            self.pixmap
                .fill_rect(rect, &paint, Transform::identity(), None);
        }
    }

    fn line(&mut self, points: &[(f32, f32)], color: Color, width: f32) {
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

    fn dot(&mut self, x: f32, y: f32, radius: f32, color: Color) {
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
    fn measure(&self, text: &str, size: f32) -> f32 {
        let font = self.font.as_scaled(PxScale::from(size));
        text.chars().map(|c| font.h_advance(font.glyph_id(c))).sum()
    }

    /// Draws `text` with its baseline at `y`, shrinking it to fit `max_width` when given.
    fn text(
        &mut self,
        text: &str,
        x: f32,
        y: f32,
        size: f32,
        color: [u8; 3],
        max_width: Option<f32>,
    ) {
        let size = match max_width {
            Some(max) => {
                let width = self.measure(text, size);
                if width > max {
                    size * max / width
                } else {
                    size
                }
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

fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::from_rgba8(r, g, b, 255)
}

/// The chart of a summary, as PNG bytes of [`WIDTH`] × [`HEIGHT`].
pub fn png(locales: &Locales, lang: Lang, summary: &WeeklySummary) -> Vec<u8> {
    let font = FontRef::try_from_slice(dejavu::sans::regular()).expect("the embedded font parses");
    let mut canvas = Canvas {
        pixmap: Pixmap::new(WIDTH, HEIGHT).expect("a non-empty canvas"),
        font,
    };
    canvas.pixmap.fill(Color::WHITE);
    let ink = [33, 37, 41];
    let muted = [108, 117, 125];
    let title = locales.text(lang, "chart-title", &[("week", summary.week.clone())]);
    canvas.text(
        &format!("{title} — {}", summary.agency_name),
        20.0,
        34.0,
        22.0,
        ink,
        Some(WIDTH as f32 - 40.0),
    );

    let mut rows: Vec<(String, Option<f64>, Color)> = summary
        .factors
        .iter()
        .map(|f| (f.name.clone(), f.figure.value, rgb(13, 110, 253)))
        .collect();
    rows.push((
        locales.text(lang, "chart-overall", &[]),
        summary.overall.value,
        rgb(25, 135, 84),
    ));
    let top = 60.0;
    let row_height = 36.0;
    for (index, (label, value, color)) in rows.iter().enumerate() {
        let y = top + index as f32 * row_height;
        canvas.text(label, 20.0, y + 22.0, 16.0, ink, Some(LABEL_WIDTH));
        canvas.rect(BAR_LEFT, y + 6.0, BAR_MAX, 22.0, rgb(233, 236, 239));
        if let Some(value) = value {
            canvas.rect(
                BAR_LEFT,
                y + 6.0,
                BAR_MAX * (*value as f32).clamp(0.0, 1.0),
                22.0,
                *color,
            );
        }
        let shown = value.map_or_else(
            || locales.text(lang, "summary-no-data", &[]),
            |v| i18n::percent(v, lang),
        );
        canvas.text(&shown, BAR_LEFT + BAR_MAX + 10.0, y + 23.0, 15.0, ink, None);
    }

    // The trend of the overall index, last four weeks, on a 0–100% axis.
    let chart_top = top + rows.len() as f32 * row_height + 40.0;
    let chart_bottom = HEIGHT as f32 - 40.0;
    let (left, right) = (BAR_LEFT, BAR_LEFT + BAR_MAX);
    canvas.text(
        &locales.text(lang, "chart-trend", &[]),
        20.0,
        chart_top + 20.0,
        16.0,
        ink,
        Some(LABEL_WIDTH),
    );
    canvas.line(
        &[(left, chart_bottom), (right, chart_bottom)],
        rgb(173, 181, 189),
        1.0,
    );
    canvas.line(
        &[(left, chart_top), (left, chart_bottom)],
        rgb(173, 181, 189),
        1.0,
    );
    let weeks = summary.overall.trend.len().max(1);
    let x_of = |index: usize| {
        left + 20.0 + (right - left - 40.0) * index as f32 / (weeks.saturating_sub(1).max(1)) as f32
    };
    let y_of =
        |value: f64| chart_bottom - (chart_bottom - chart_top) * value.clamp(0.0, 1.0) as f32;
    let points: Vec<(f32, f32)> = summary
        .overall
        .trend
        .iter()
        .enumerate()
        .filter_map(|(index, value)| value.map(|v| (x_of(index), y_of(v))))
        .collect();
    canvas.line(&points, rgb(25, 135, 84), 3.0);
    for (index, value) in summary.overall.trend.iter().enumerate() {
        let x = x_of(index);
        if let Some(value) = value {
            canvas.dot(x, y_of(*value), 5.0, rgb(25, 135, 84));
            let label = i18n::percent(*value, lang);
            let width = canvas.measure(&label, 13.0);
            canvas.text(
                &label,
                x - width / 2.0,
                y_of(*value) - 10.0,
                13.0,
                ink,
                None,
            );
        }
        let week_label = format!("W-{}", weeks - 1 - index);
        let shown = if index + 1 == weeks {
            summary.week.clone()
        } else {
            week_label
        };
        let width = canvas.measure(&shown, 12.0);
        canvas.text(
            &shown,
            x - width / 2.0,
            chart_bottom + 18.0,
            12.0,
            muted,
            None,
        );
    }
    encode(&canvas.pixmap)
}

fn encode(pixmap: &Pixmap) -> Vec<u8> {
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
