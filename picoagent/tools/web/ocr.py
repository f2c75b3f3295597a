"""Text in a screenshot, through Tesseract (optional: the `ocr` extra and Debian's tesseract-ocr)."""

from __future__ import annotations

import io


class OcrUnavailable(RuntimeError):
    """OCR is not installed; the message says how to install it."""


def ocr_png(png: bytes) -> str:
    try:
        import pytesseract
        from PIL import Image
    except ImportError:
        raise OcrUnavailable("read_screen needs OCR, which is not installed: pip install 'picoagent[ocr]' and apt-get install tesseract-ocr. Use snapshot() to read the page instead.") from None
    try:
        return pytesseract.image_to_string(Image.open(io.BytesIO(png)))
    except pytesseract.TesseractNotFoundError:
        raise OcrUnavailable("read_screen needs the tesseract program, which is not installed: apt-get install tesseract-ocr. Use snapshot() to read the page instead.") from None
