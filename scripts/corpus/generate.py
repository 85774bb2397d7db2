"""Generates the extraction corpus of tests/corpus/: invoices as users send them.

Every document is drawn here from the values its manifest entry expects, so the expected values are exact
by construction. The issuers differ the way real ones do: seven languages, one-line headers with several
labels, two columns, dot leaders, line items over a page break, money and date formats of each country,
the standard 14 fonts (reportlab writes them without a /Widths array) beside an embedded TrueType font,
text outside the crop box, and a scanned stamp (an image holding an IBAN) on a text page. Several documents
are then rendered and degraded into low-dpi scans (PNG) and phone photos (JPEG).

Writes tests/corpus/{pdf,png,jpeg}/ and tests/corpus/manifest.json. A field's recorded `today` note (what
pagewire gives where it differs from the truth) and `warnings` (the codes it gives now) are carried over
from the previous manifest, so regenerating never loses them.

Usage: scripts/make-corpus.sh (builds the pinned virtualenv and runs this).
"""

import io
import json
import math
import os
import random
import sys

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "corpus")
DEJAVU = "/usr/share/fonts/truetype/dejavu"
W, H = A4  # 595.27 x 841.89 pt

# --------------------------------------------------------------------------------------------------------
# Drawing helpers: y is measured from the top of the page, as a reader sees it.


class Page:
    def __init__(self, path, size=A4, invariant=True):
        self.c = canvas.Canvas(path, pagesize=size, invariant=1 if invariant else 0)
        self.c.setCreator("pagewire corpus generator")
        self.w, self.h = size

    def text(self, x, y, s, font="Helvetica", size=10):
        self.c.setFont(font, size)
        self.c.drawString(x, self.h - y, s)

    def right(self, x, y, s, font="Helvetica", size=10):
        self.c.setFont(font, size)
        self.c.drawRightString(x, self.h - y, s)

    def line(self, x0, y, x1, width=0.5):
        self.c.setLineWidth(width)
        self.c.line(x0, self.h - y, x1, self.h - y)

    def next_page(self):
        self.c.showPage()

    def save(self):
        self.c.save()


def field(name, type_, rule, expected, **extra):
    entry = {"name": name, "type": type_, "rule": rule, "expected": expected}
    entry.update(extra)
    return entry


def label(text, direction=None):
    rule = {"kind": "label", "label": text}
    if direction:
        rule["direction"] = direction
    return rule


def regex(pattern, group=None):
    rule = {"kind": "regex", "pattern": pattern}
    if group is not None:
        rule["group"] = group
    return rule


def region(x, y, width, height, page=1):
    return {"kind": "region", "page": page, "x": x, "y": y, "width": width, "height": height}


def items_table(p, y, rows, cols, font="Helvetica", size=9, header=None, header_font=None):
    """Draws line items: `cols` are (x, align) per column; returns the y after the last row."""
    if header:
        for (x, align), title in zip(cols, header):
            (p.right if align == "r" else p.text)(x, y, title, header_font or font, size)
        p.line(cols[0][0], y + 4, cols[-1][0] if cols[-1][1] == "r" else W - 60)
        y += 16
    for row in rows:
        for (x, align), cell in zip(cols, row):
            (p.right if align == "r" else p.text)(x, y, cell, font, size)
        y += 14
    return y


def totals(p, y, lines):
    """The totals under a table: right-aligned labels and amounts, the last line (the total) in bold."""
    for i, (offset, text, amount) in enumerate(lines):
        font = "Helvetica-Bold" if i == len(lines) - 1 else "Helvetica"
        p.right(430, y + offset, text, font)
        p.right(530, y + offset, amount, font)


# --------------------------------------------------------------------------------------------------------
# The issuers. Each function draws its PDF and returns (template date order, fields, notes).


def en_quickparts(path):
    """One-line header with two labels; Helvetica without widths; US formats."""
    p = Page(path)
    p.text(60, 60, "QuickParts Supply Co.", "Helvetica-Bold", 18)
    p.text(60, 78, "1200 Industrial Way, Dayton, OH 45402")
    p.text(60, 120, "Invoice Number: QX-58213    Invoice Date: March 15, 2024", "Helvetica", 11)
    p.text(60, 138, "Customer ID: C-0091    Terms: Net 30", "Helvetica", 11)
    p.text(60, 175, "Bill To:", "Helvetica-Bold", 10)
    p.text(60, 189, "Globex Industries")
    p.text(60, 203, "42 Elm Street, Springfield")
    cols = [(60, "l"), (330, "r"), (420, "r"), (530, "r")]
    rows = [("Hex bolts M8 (box of 100)", "4", "$38.50", "$154.00"),
            ("Hydraulic fitting 3/8\"", "12", "$24.75", "$297.00"),
            ("Bearing 6204-2RS", "30", "$26.12", "$783.60")]
    y = items_table(p, 240, rows, cols, header=("Description", "Qty", "Unit Price", "Amount"),
                    header_font="Helvetica-Bold")
    p.right(420, y + 20, "Subtotal:")
    p.right(530, y + 20, "$1,234.60")
    p.right(420, y + 36, "Discount:")
    p.right(530, y + 36, "-$0.04")
    p.right(420, y + 56, "Amount Due:", "Helvetica-Bold", 11)
    p.right(530, y + 56, "$1,234.56", "Helvetica-Bold", 11)
    p.save()
    return "month_day_year", [
        field("vendor", "text", region(0.08, 0.045, 0.5, 0.032), "QuickParts Supply Co."),
        field("invoice_number", "text", label("Invoice Number:"), "QX-58213"),
        field("invoice_date", "date", label("Invoice Date:"), "2024-03-15"),
        field("customer", "text", label("Bill To:", "below"), "Globex Industries"),
        field("total", "money", label("Amount Due:"), 1234.56),
    ]


def en_northwind(path):
    """Two columns: seller and invoice facts side by side, bill-to and ship-to side by side; Times."""
    p = Page(path)
    p.text(50, 60, "NORTHWIND LOGISTICS LTD", "Times-Bold", 16)
    p.text(50, 76, "Unit 4, Harbour Park", "Times-Roman", 10)
    p.text(50, 89, "Southampton SO14 3XX", "Times-Roman", 10)
    for i, (k, v) in enumerate([("Invoice No.", "INV/2023/0457"), ("Date", "November 2, 2023"),
                                ("Order Ref", "PO-88213"), ("Due", "December 2, 2023")]):
        p.text(340, 60 + 14 * i, k, "Times-Bold", 10)
        p.text(420, 60 + 14 * i, v, "Times-Roman", 10)
    p.text(50, 140, "Bill To", "Times-Bold", 10)
    p.text(300, 140, "Ship To", "Times-Bold", 10)
    for i, (a, b) in enumerate([("Contoso Retail plc", "Contoso Warehouse 7"),
                                ("18 King Street", "Dock Road"),
                                ("Leeds LS1 2HL", "Hull HU9 1TA")]):
        p.text(50, 154 + 13 * i, a, "Times-Roman", 10)
        p.text(300, 154 + 13 * i, b, "Times-Roman", 10)
    cols = [(50, "l"), (360, "r"), (440, "r"), (540, "r")]
    rows = [("Pallet transport Leeds-Hull", "6", "250.00", "1,500.00"),
            ("Tail-lift surcharge", "6", "45.00", "270.00"),
            ("Storage (weeks)", "4", "170.00", "680.00")]
    y = items_table(p, 230, rows, cols, "Times-Roman", 10, ("Description", "Qty", "Rate", "Amount"),
                    "Times-Bold")
    p.text(360, y + 24, "Total USD", "Times-Bold", 11)
    p.right(540, y + 24, "2,450.00", "Times-Bold", 11)
    p.save()
    return "month_day_year", [
        field("invoice_number", "text", label("Invoice No."), "INV/2023/0457"),
        field("invoice_date", "date", label("Date"), "2023-11-02"),
        field("order_ref", "text", label("Order Ref"), "PO-88213"),
        field("customer", "text", label("Bill To", "below"), "Contoso Retail plc"),
        field("total", "money", regex(r"Total USD\s+([\d,.]+)"), 2450.0),
    ]


def en_credit_note(path):
    """Courier (no widths, every glyph 600 units); a credit in parentheses."""
    p = Page(path)
    p.text(60, 60, "BRIGHTWAVE TELECOM", "Courier-Bold", 14)
    p.text(60, 100, "CREDIT NOTE", "Courier-Bold", 12)
    p.text(60, 130, "Credit Note No: CN-7781", "Courier", 10)
    p.text(60, 144, "Date:           2024-01-09", "Courier", 10)
    p.text(60, 158, "Reference:      INV-2023-9981", "Courier", 10)
    p.text(60, 200, "Service outage credit, December 2023", "Courier", 10)
    p.text(60, 240, "Amount:", "Courier-Bold", 10)
    p.right(400, 240, "(45.00)", "Courier-Bold", 10)
    p.save()
    return "day_month_year", [
        field("credit_note", "text", label("Credit Note No:"), "CN-7781"),
        field("date", "date", label("Date:"), "2024-01-09"),
        field("reference", "text", label("Reference:"), "INV-2023-9981"),
        field("amount", "money", label("Amount:"), -45.0),
    ]


def fr_boulangerie(path):
    """French, accented labels, `05 Juillet 2015`, `1 234,56 €` with a space as thousands separator."""
    p = Page(path)
    p.text(60, 60, "Boulangerie Dupont SARL", "Helvetica-Bold", 16)
    p.text(60, 78, "12 rue des Lilas, 69003 Lyon")
    p.text(60, 92, "SIRET : 812 345 678 00019")
    p.text(330, 130, "Facture N° : F-2015-0703")
    p.text(330, 145, "Date : 05 Juillet 2015")
    p.text(60, 130, "Client :", "Helvetica-Bold")
    p.text(60, 145, "Café du Parc")
    p.text(60, 159, "4 place Bellecour, 69002 Lyon")
    cols = [(60, "l"), (340, "r"), (430, "r"), (530, "r")]
    rows = [("Croissants (douzaine)", "40", "9,60 €", "384,00 €"),
            ("Pains de campagne", "120", "3,90 €", "468,00 €"),
            ("Tartes aux pommes", "12", "14,40 €", "172,80 €")]
    y = items_table(p, 210, rows, cols, header=("Désignation", "Qté", "P.U. HT", "Total HT"),
                    header_font="Helvetica-Bold")
    totals(p, y, [(20, "Total HT :", "1 028,80 €"), (35, "TVA (20 %) :", "205,76 €"),
                  (55, "Total TTC :", "1 234,56 €")])
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Facture N° :"), "F-2015-0703"),
        field("invoice_date", "date", label("Date :"), "2015-07-05"),
        field("customer", "text", label("Client :", "below"), "Café du Parc"),
        field("vat", "money", label("TVA (20 %) :"), 205.76),
        field("total", "money", label("Total TTC :"), 1234.56),
    ]


def fr_conseil(path):
    """French two labels on one line, an abbreviated month with a dot, non-breaking spaces in amounts."""
    p = Page(path)
    p.text(50, 60, "Atelier Conseil & Associés", "Times-Bold", 16)
    p.text(50, 76, "8 avenue Foch, 75116 Paris", "Times-Roman", 10)
    p.text(50, 120, "N° de facture : FC-2023-044     Date de facture : 12 févr. 2023", "Times-Roman", 11)
    p.text(50, 136, "Échéance : 14 mars 2023", "Times-Roman", 11)
    p.text(50, 180, "Mission d'audit organisationnel (forfait)", "Times-Roman", 11)
    p.right(540, 180, "2\u00a0875,00\u00a0€", "Times-Roman", 11)
    p.text(300, 230, "Montant HT", "Times-Roman", 11)
    p.right(540, 230, "2\u00a0875,00\u00a0€", "Times-Roman", 11)
    p.text(300, 246, "TVA 20 %", "Times-Roman", 11)
    p.right(540, 246, "575,00\u00a0€", "Times-Roman", 11)
    p.text(300, 266, "Net à payer", "Times-Bold", 12)
    p.right(540, 266, "3\u00a0450,00\u00a0€", "Times-Bold", 12)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("N° de facture :"), "FC-2023-044"),
        field("invoice_date", "date", label("Date de facture :"), "2023-02-12"),
        field("due_date", "date", label("Échéance :"), "2023-03-14"),
        field("total", "money", label("Net à payer"), 3450.0),
    ]


def fr_avoir(path):
    """French credit note: ordinal `1er mars 2022`, a minus sign before the amount."""
    p = Page(path)
    p.text(60, 60, "Électricité Martin", "Helvetica-Bold", 15)
    p.text(60, 110, "AVOIR", "Helvetica-Bold", 13)
    p.text(60, 135, "Avoir n° AV-2022-09")
    p.text(60, 150, "Date : 1er mars 2022")
    p.text(60, 165, "Facture d'origine : FA-2022-031")
    p.text(60, 210, "Remboursement pièce défectueuse")
    p.text(330, 250, "Montant :", "Helvetica-Bold")
    p.right(530, 250, "-45,00 €", "Helvetica-Bold")
    p.save()
    return "day_month_year", [
        field("credit_note", "text", regex(r"Avoir n°\s*(\S+)"), "AV-2022-09"),
        field("date", "date", label("Date :"), "2022-03-01"),
        field("origin", "text", label("Facture d'origine :"), "FA-2022-031"),
        field("amount", "money", label("Montant :"), -45.0),
    ]


def de_mueller(path):
    """German, `7. Mai 2014`, line items that cross a page break, total on page 2."""
    p = Page(path)
    p.text(60, 60, "Müller Bürobedarf GmbH", "Helvetica-Bold", 16)
    p.text(60, 78, "Hauptstraße 15, 80331 München")
    p.text(60, 92, "USt-IdNr.: DE123456789")
    p.text(60, 130, "Rechnungsnummer: RE-2014-117")
    p.text(60, 145, "Rechnungsdatum: 7. Mai 2014")
    p.text(60, 160, "Kunde: Schmidt & Söhne KG")
    cols = [(60, "l"), (340, "r"), (430, "r"), (530, "r")]
    header = ("Bezeichnung", "Menge", "Einzelpreis", "Betrag")
    products = ["Kopierpapier A4", "Kugelschreiber blau", "Ordner breit", "Heftklammern", "Textmarker",
                "Notizblock", "Locher", "Tesafilm", "Briefumschläge C5", "Radiergummi"]
    rows, total = [], 0
    for i in range(48):
        qty = 1 + (i * 7) % 9
        cents = 95 + (i * 137) % 1900
        amount = qty * cents
        total += amount
        rows.append((f"{products[i % 10]} ({i + 1:02d})", str(qty), eur(cents), eur(amount)))
    y = items_table(p, 200, rows[:40], cols, size=9, header=header, header_font="Helvetica-Bold")
    p.text(60, 815, "Seite 1/2", "Helvetica", 8)
    p.next_page()
    y = items_table(p, 60, rows[40:], cols, size=9, header=header, header_font="Helvetica-Bold")
    p.right(430, y + 20, "Gesamtbetrag:", "Helvetica-Bold")
    p.right(530, y + 20, eur(total) + " €", "Helvetica-Bold")
    p.text(60, 815, "Seite 2/2", "Helvetica", 8)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Rechnungsnummer:"), "RE-2014-117"),
        field("invoice_date", "date", label("Rechnungsdatum:"), "2014-05-07"),
        field("customer", "text", label("Kunde:"), "Schmidt & Söhne KG"),
        field("vat_id", "text", regex(r"USt-IdNr\.:\s*(DE\d{9})"), "DE123456789"),
        field("total", "money", label("Gesamtbetrag:"), total / 100),
    ]


def eur(cents):
    """1234.56 as `1.234,56`."""
    whole, frac = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{frac:02d}"


def de_alpen(path):
    """Swiss German: `3. März 2021`, `CHF 1'234.50` with apostrophe grouping; bold labels, separate runs."""
    p = Page(path)
    p.text(60, 60, "Alpen Treuhand AG", "Helvetica-Bold", 16)
    p.text(60, 78, "Bahnhofstrasse 21, 8001 Zürich")
    p.text(60, 92, "MWST-Nr.: CHE-123.456.789 MWST")
    p.text(60, 130, "Rechnung Nr.", "Helvetica-Bold")
    p.text(150, 130, "4471")
    p.text(60, 145, "Datum:", "Helvetica-Bold")
    p.text(150, 145, "3. März 2021")
    p.text(60, 190, "Buchhaltung Q4 2020 (pauschal)")
    p.right(530, 190, "CHF 1'145.50")
    p.text(60, 205, "MWST 7,7 %")
    p.right(530, 205, "CHF 89.00")
    p.text(60, 235, "Total", "Helvetica-Bold", 11)
    p.right(530, 235, "CHF 1'234.50", "Helvetica-Bold", 11)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Rechnung Nr."), "4471"),
        field("invoice_date", "date", label("Datum:"), "2021-03-03"),
        field("vat_number", "text", regex(r"MWST-Nr\.:\s*(CHE-[\d.]+)"), "CHE-123.456.789"),
        field("total", "money", regex(r"Total\s+(CHF\s*[\d'.]+)"), 1234.5),
    ]


def de_oneline(path):
    """Three labels on one line (Courier), a numeric German date."""
    p = Page(path)
    p.text(60, 60, "Fahrradhaus Weber e.K.", "Courier-Bold", 14)
    p.text(60, 110, "Kundennr.: 10023   Rechnungsnr.: 2023-55   Datum: 01.02.2023", "Courier", 10)
    p.text(60, 150, "1 x Fahrradschloss Abus", "Courier", 10)
    p.right(500, 150, "39,95 EUR", "Courier", 10)
    p.text(60, 164, "1 x Satteltasche", "Courier", 10)
    p.right(500, 164, "49,95 EUR", "Courier", 10)
    p.text(60, 200, "Zu zahlen:", "Courier-Bold", 10)
    p.right(500, 200, "89,90 EUR", "Courier-Bold", 10)
    p.save()
    return "day_month_year", [
        field("customer_number", "text", label("Kundennr.:"), "10023"),
        field("invoice_number", "text", label("Rechnungsnr.:"), "2023-55"),
        field("invoice_date", "date", label("Datum:"), "2023-02-01"),
        field("total", "money", label("Zu zahlen:"), 89.9),
    ]


def nl_bakker(path):
    """Dutch: `29 maart 2014`, `€ 1.234,56` with the symbol first."""
    p = Page(path)
    p.text(60, 60, "Bakker Installatietechniek B.V.", "Helvetica-Bold", 16)
    p.text(60, 78, "Kanaalweg 3, 3526 KL Utrecht")
    p.text(60, 92, "BTW-nummer: NL123456789B01")
    p.text(60, 130, "Factuurnummer: 2014-0329")
    p.text(60, 145, "Factuurdatum: 29 maart 2014")
    p.text(60, 160, "Vervaldatum: 28 april 2014")
    cols = [(60, "l"), (340, "r"), (430, "r"), (530, "r")]
    rows = [("Cv-ketel onderhoud", "1", "€ 145,00", "€ 145,00"),
            ("Thermostaatkraan", "6", "€ 38,50", "€ 231,00"),
            ("Arbeidsloon (uur)", "14", "€ 52,00", "€ 728,00")]
    y = items_table(p, 200, rows, cols, header=("Omschrijving", "Aantal", "Prijs", "Bedrag"),
                    header_font="Helvetica-Bold")
    totals(p, y, [(20, "Subtotaal:", "€ 1.104,00"), (35, "BTW 21%:", "€ 130,56"),
                  (55, "Totaal:", "€ 1.234,56")])
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Factuurnummer:"), "2014-0329"),
        field("invoice_date", "date", label("Factuurdatum:"), "2014-03-29"),
        field("due_date", "date", label("Vervaldatum:"), "2014-04-28"),
        field("vat_number", "text", regex(r"BTW-nummer:\s*(NL\w+)"), "NL123456789B01"),
        field("total", "money", label("Totaal:"), 1234.56),
    ]


def nl_twocol(path):
    """Dutch two columns: the invoice facts on the right, labels and values as separate runs; Times."""
    p = Page(path)
    p.text(50, 60, "De Vries Drukwerk", "Times-Bold", 16)
    p.text(50, 76, "Molenstraat 9, 2011 HP Haarlem", "Times-Roman", 10)
    p.text(50, 130, "Aan:", "Times-Bold", 10)
    p.text(50, 144, "Stichting Groen Haarlem", "Times-Roman", 10)
    for i, (k, v) in enumerate([("Factuur", "DV-22-1187"), ("Datum", "9 dec. 2022"),
                                ("Klantnummer", "K-4410")]):
        p.text(330, 130 + 14 * i, k, "Times-Bold", 10)
        p.right(540, 130 + 14 * i, v, "Times-Roman", 10)
    p.text(50, 210, "Flyers A5, 2500 stuks", "Times-Roman", 10)
    p.right(540, 210, "€ 506,20", "Times-Roman", 10)
    p.text(330, 250, "Totaal te betalen", "Times-Bold", 11)
    p.right(540, 250, "€ 612,50", "Times-Bold", 11)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Factuur"), "DV-22-1187"),
        field("invoice_date", "date", label("Datum"), "2022-12-09"),
        field("customer", "text", label("Aan:", "below"), "Stichting Groen Haarlem"),
        field("total", "money", label("Totaal te betalen"), 612.5),
    ]


def es_suministros(path):
    """Spanish: `14 de enero de 2022`, `2.345,67 €`."""
    p = Page(path)
    p.text(60, 60, "Suministros Levante S.L.", "Helvetica-Bold", 16)
    p.text(60, 78, "Calle Colón 22, 46004 Valencia")
    p.text(60, 92, "NIF: B12345678")
    p.text(60, 130, "Factura nº: A-0042")
    p.text(60, 145, "Fecha: 14 de enero de 2022")
    p.text(60, 160, "Cliente: Hostelería Ruiz S.A.")
    cols = [(60, "l"), (340, "r"), (430, "r"), (530, "r")]
    rows = [("Vajilla de porcelana (lote)", "5", "210,00 €", "1.050,00 €"),
            ("Cubertería acero", "10", "88,56 €", "885,60 €")]
    y = items_table(p, 200, rows, cols, header=("Concepto", "Cant.", "Precio", "Importe"),
                    header_font="Helvetica-Bold")
    totals(p, y, [(20, "Base imponible:", "1.935,60 €"), (35, "IVA 21%:", "410,07 €"),
                  (55, "Total:", "2.345,67 €")])
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Factura nº:"), "A-0042"),
        field("invoice_date", "date", label("Fecha:"), "2022-01-14"),
        field("customer", "text", label("Cliente:"), "Hostelería Ruiz S.A."),
        field("tax_id", "text", regex(r"NIF:\s*([A-Z]\d{8})"), "B12345678"),
        field("total", "money", label("Total:"), 2345.67),
    ]


def es_oneline(path):
    """Spanish, two labels on one line, `3 ago. 2021`."""
    p = Page(path)
    p.text(50, 60, "Talleres Ortega", "Times-Bold", 16)
    p.text(50, 110, "Número: 2021/118     Fecha: 3 ago. 2021", "Times-Roman", 11)
    p.text(50, 150, "Reparación de frenos y cambio de aceite", "Times-Roman", 11)
    p.right(540, 150, "1.000,00 €", "Times-Roman", 11)
    p.text(50, 166, "IVA 21%", "Times-Roman", 11)
    p.right(540, 166, "210,00 €", "Times-Roman", 11)
    p.text(50, 190, "Importe total", "Times-Bold", 11)
    p.right(540, 190, "1.210,00 €", "Times-Bold", 11)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Número:"), "2021/118"),
        field("invoice_date", "date", label("Fecha:"), "2021-08-03"),
        field("total", "money", label("Importe total"), 1210.0),
    ]


def it_ferramenta(path):
    """Italian: `3 settembre 2019`; the total behind a dot leader (narrow glyphs in one run)."""
    p = Page(path)
    p.text(60, 60, "Ferramenta Rossi S.r.l.", "Helvetica-Bold", 16)
    p.text(60, 78, "Via Roma 10, 20121 Milano")
    p.text(60, 92, "Partita IVA: IT01234567890")
    p.text(60, 130, "Fattura n. 118/2019")
    p.text(60, 145, "Data: 3 settembre 2019")
    p.text(60, 185, "Trapano a percussione")
    p.right(530, 185, "€ 809,55")
    p.text(60, 200, "IVA 22%")
    p.right(530, 200, "€ 178,10")
    p.text(60, 230, "Totale " + "." * 70, "Helvetica-Bold")
    p.right(530, 230, "€ 987,65", "Helvetica-Bold")
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", regex(r"Fattura n\.\s*(\S+)"), "118/2019"),
        field("invoice_date", "date", label("Data:"), "2019-09-03"),
        field("vat_number", "text", regex(r"Partita IVA:\s*(IT\d{11})"), "IT01234567890"),
        field("total", "money", regex(r"Totale[\s.]*(€\s*[\d.,]+)"), 987.65),
    ]


def it_twocol(path):
    """Italian two columns, numeric date, `EUR 4.020,00`."""
    p = Page(path)
    p.text(50, 60, "Studio Bianchi", "Times-Bold", 16)
    p.text(50, 76, "Corso Vittorio Emanuele 5, 10121 Torino", "Times-Roman", 10)
    p.text(50, 130, "Spett.le", "Times-Bold", 10)
    p.text(50, 144, "Gallo Costruzioni S.p.A.", "Times-Roman", 10)
    p.text(330, 130, "Numero documento", "Times-Bold", 10)
    p.right(540, 130, "2020-077", "Times-Roman", 10)
    p.text(330, 144, "Data documento", "Times-Bold", 10)
    p.right(540, 144, "15/06/2020", "Times-Roman", 10)
    p.text(50, 200, "Progettazione impianto elettrico", "Times-Roman", 10)
    p.right(540, 200, "EUR 3.295,08", "Times-Roman", 10)
    p.text(330, 240, "Totale documento", "Times-Bold", 11)
    p.right(540, 240, "EUR 4.020,00", "Times-Bold", 11)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Numero documento"), "2020-077"),
        field("invoice_date", "date", label("Data documento"), "2020-06-15"),
        field("customer", "text", label("Spett.le", "below"), "Gallo Costruzioni S.p.A."),
        field("total", "money", label("Totale documento"), 4020.0),
    ]


def pt_lda(path):
    """Portuguese: `21 de outubro de 2020`, `1.050,00 €`."""
    p = Page(path)
    p.text(60, 60, "Oliveira & Filhos, Lda.", "Helvetica-Bold", 16)
    p.text(60, 78, "Rua Augusta 100, 1100-053 Lisboa")
    p.text(60, 92, "NIF: 501234567")
    p.text(60, 130, "Fatura N.º FT 2020/311")
    p.text(60, 145, "Data: 21 de outubro de 2020")
    p.text(60, 160, "Vencimento: 20 de novembro de 2020")
    p.text(60, 200, "Azulejos pintados à mão (m²)")
    p.right(530, 200, "853,66 €")
    p.text(60, 215, "IVA 23%")
    p.right(530, 215, "196,34 €")
    p.text(330, 245, "Total:", "Helvetica-Bold")
    p.right(530, 245, "1.050,00 €", "Helvetica-Bold")
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", regex(r"Fatura N\.º\s*(FT \S+)"), "FT 2020/311"),
        field("invoice_date", "date", label("Data:"), "2020-10-21"),
        field("due_date", "date", label("Vencimento:"), "2020-11-20"),
        field("total", "money", label("Total:"), 1050.0),
    ]


def pt_br(path):
    """Brazilian Portuguese: `R$ 1.234,56`, numeric date, CNPJ."""
    p = Page(path)
    p.text(50, 60, "Comercial Araújo Ltda.", "Times-Bold", 16)
    p.text(50, 76, "CNPJ: 12.345.678/0001-90", "Times-Roman", 10)
    p.text(50, 120, "Nota nº 000.451", "Times-Roman", 11)
    p.text(50, 136, "Data de emissão: 05/03/2022", "Times-Roman", 11)
    p.text(50, 180, "Cadeiras de escritório (4)", "Times-Roman", 11)
    p.right(540, 180, "R$ 1.234,56", "Times-Roman", 11)
    p.text(50, 210, "Valor total:", "Times-Bold", 11)
    p.right(540, 210, "R$ 1.234,56", "Times-Bold", 11)
    p.save()
    return "day_month_year", [
        field("cnpj", "text", regex(r"CNPJ:\s*([\d./-]+)"), "12.345.678/0001-90"),
        field("invoice_number", "text", regex(r"Nota nº\s*([\d.]+)"), "000.451"),
        field("invoice_date", "date", label("Data de emissão:"), "2022-03-05"),
        field("total", "money", label("Valor total:"), 1234.56),
    ]


def en_multipage(path):
    """English line items over two pages, the header repeated, totals at the end; Times."""
    p = Page(path)
    p.text(50, 60, "Harbor Office Furniture Inc.", "Times-Bold", 16)
    p.text(50, 100, "Invoice #: HOF-20931", "Times-Roman", 11)
    p.text(50, 115, "Date: 04/11/2024", "Times-Roman", 11)
    p.text(50, 130, "PO Number: 7731-B", "Times-Roman", 11)
    cols = [(50, "l"), (360, "r"), (440, "r"), (540, "r")]
    header = ("Item", "Qty", "Unit", "Amount")
    rows, total = [], 0
    for i in range(52):
        qty = 1 + (i * 5) % 7
        cents = 1250 + (i * 331) % 9000
        total += qty * cents
        rows.append((f"Desk accessory SKU-{1000 + i}", str(qty), usd(cents), usd(qty * cents)))
    items_table(p, 160, rows[:45], cols, "Times-Roman", 10, header, "Times-Bold")
    p.text(50, 820, "Page 1 of 2", "Times-Roman", 8)
    p.next_page()
    y = items_table(p, 60, rows[45:], cols, "Times-Roman", 10, header, "Times-Bold")
    tax = round(total * 0.07)
    p.text(360, y + 20, "Subtotal", "Times-Roman", 10)
    p.right(540, y + 20, usd(total), "Times-Roman", 10)
    p.text(360, y + 35, "Sales tax 7%", "Times-Roman", 10)
    p.right(540, y + 35, usd(tax), "Times-Roman", 10)
    p.text(360, y + 55, "Total", "Times-Bold", 11)
    p.right(540, y + 55, usd(total + tax), "Times-Bold", 11)
    p.text(50, 820, "Page 2 of 2", "Times-Roman", 8)
    p.save()
    return "month_day_year", [
        field("invoice_number", "text", label("Invoice #:"), "HOF-20931"),
        field("invoice_date", "date", label("Date:"), "2024-04-11"),
        field("po_number", "text", label("PO Number:"), "7731-B"),
        field("subtotal", "money", label("Subtotal"), total / 100),
        field("total", "money", regex(r"(?m)^Total\s+(\$[\d,.]+)"), (total + tax) / 100),
    ]


def usd(cents):
    return f"${cents // 100:,}.{cents % 100:02d}"


def stamp_image(path, lines, seed):
    """A rubber stamp as a scanner sees it: bordered, slightly rotated, speckled, JPEG."""
    rnd = random.Random(seed)
    font = ImageFont.truetype(os.path.join(DEJAVU, "DejaVuSansMono-Bold.ttf"), 34)
    img = Image.new("L", (900, 60 + 52 * len(lines)), 250)
    d = ImageDraw.Draw(img)
    d.rectangle([6, 6, img.width - 7, img.height - 7], outline=60, width=5)
    for i, text in enumerate(lines):
        d.text((30, 30 + 52 * i), text, fill=45, font=font)
    img = img.rotate(rnd.uniform(-2.5, 2.5), resample=Image.BICUBIC, expand=True, fillcolor=250)
    arr = np.asarray(img, dtype=np.float32)
    arr += np.random.default_rng(seed).normal(0, 10, arr.shape)
    img = Image.fromarray(arr.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
    img.save(path, "JPEG", quality=80)


def en_stamp(path):
    """A generated invoice whose bank details exist only in a scanned stamp placed on the page."""
    p = Page(path)
    p.text(60, 60, "Kestrel Design Studio", "Helvetica-Bold", 16)
    p.text(60, 78, "7 Canal Street, Manchester M1 3HE")
    p.text(60, 120, "Invoice Number: KD-2024-018")
    p.text(60, 135, "Invoice Date: 12 April 2024")
    p.text(60, 180, "Brand identity package")
    p.right(530, 180, "£2,400.00")
    p.text(330, 215, "Total Due:", "Helvetica-Bold")
    p.right(530, 215, "£2,400.00", "Helvetica-Bold")
    p.text(60, 300, "Please pay by bank transfer to the account below.")
    stamp = path + ".stamp.jpg"
    stamp_image(stamp, ["PAYMENT DETAILS", "IBAN GB29 NWBK 6016 1331 9268 19", "BIC NWBKGB2L"], 7)
    p.c.drawImage(ImageReader(stamp), 60, H - 440, width=330, height=110)
    os.remove(stamp)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Invoice Number:"), "KD-2024-018"),
        field("invoice_date", "date", label("Invoice Date:"), "2024-04-12"),
        field("total", "money", label("Total Due:"), 2400.0),
        field("iban", "text", regex(r"IBAN\s*([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){4}(?: ?[A-Z0-9]{2})?)"),
              "GB29 NWBK 6016 1331 9268 19"),
        field("bic", "text", regex(r"BIC\s*([A-Z]{6}[A-Z0-9]{2})"), "NWBKGB2L"),
    ]


def en_cropbox(path):
    """Printer's marks and a draft note outside the crop box, a page number below the page's bottom edge."""
    p = Page(path)
    p.c.setCropBox((30, 30, W - 60, H - 60))
    p.text(40, 20, "Order Ref: X-OUTSIDE-1 (printer slug)", "Helvetica", 7)
    p.text(60, 70, "Pinecrest Garden Centre", "Helvetica-Bold", 16)
    p.text(60, 120, "Invoice Number: PG-5520")
    p.text(60, 135, "Order Ref: PO-7731")
    p.text(60, 150, "Invoice Date: June 3, 2023")
    p.text(60, 190, "Seasonal planting service")
    p.right(530, 190, "$845.00")
    p.text(330, 220, "Total:", "Helvetica-Bold")
    p.right(530, 220, "$845.00", "Helvetica-Bold")
    p.text(W - 25, 400, "DRAFT", "Helvetica", 9)
    p.c.setFont("Helvetica", 8)
    p.c.drawString(280, -12, "Page 1/1")
    p.save()
    return "month_day_year", [
        field("invoice_number", "text", label("Invoice Number:"), "PG-5520"),
        field("order_ref", "text", label("Order Ref:"), "PO-7731"),
        field("invoice_date", "date", label("Invoice Date:"), "2023-06-03"),
        field("total", "money", label("Total:"), 845.0),
        field("page_marker", "text", regex(r"Page\s+(\d+/\d+)"), None),
        field("draft_mark", "text", regex(r"\b(DRAFT)\b"), None),
    ]


def en_truetype(path):
    """An embedded TrueType font (with /Widths and a ToUnicode map): the common case of office suites."""
    pdfmetrics.registerFont(TTFont("DejaVuSans", os.path.join(DEJAVU, "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", os.path.join(DEJAVU, "DejaVuSans-Bold.ttf")))
    p = Page(path)
    p.text(60, 60, "Thistle & Thorn Bookbinders", "DejaVuSans-Bold", 15)
    p.text(60, 110, "Invoice #: 10045", "DejaVuSans", 10)
    p.text(60, 125, "Issued: 2024-02-29", "DejaVuSans", 10)
    p.text(60, 140, "Customer: Edinburgh Rare Books", "DejaVuSans", 10)
    p.text(60, 180, "Rebinding, half leather, 3 volumes", "DejaVuSans", 10)
    p.right(530, 180, "£1,050.75", "DejaVuSans", 10)
    p.text(330, 210, "Balance due", "DejaVuSans-Bold", 10)
    p.right(530, 210, "£1,050.75", "DejaVuSans-Bold", 10)
    p.save()
    return "day_month_year", [
        field("invoice_number", "text", label("Invoice #:"), "10045"),
        field("invoice_date", "date", label("Issued:"), "2024-02-29"),
        field("customer", "text", label("Customer:"), "Edinburgh Rare Books"),
        field("total", "money", label("Balance due"), 1050.75),
    ]


def en_dingbats(path):
    """Symbol and ZapfDingbats runs sharing lines with Helvetica (check marks, a Greek letter)."""
    p = Page(path)
    p.text(60, 60, "Orbit Cycle Repairs", "Helvetica-Bold", 16)
    p.text(60, 110, "Job Sheet: OC-3391")
    p.text(60, 125, "Date: 2023-09-18")
    p.text(60, 165, "\u2714", "ZapfDingbats", 10)
    p.text(75, 165, "Wheel truing (front and rear)")
    p.right(530, 165, "$40.00")
    p.text(60, 180, "\u2714", "ZapfDingbats", 10)
    p.text(75, 180, "Brake pads, sintered")
    p.right(530, 180, "$16.10")
    p.text(60, 200, "Spoke tension", "Helvetica")
    p.text(140, 200, "\u0394", "Symbol", 10)
    p.text(152, 200, "< 5% across the wheel")
    p.text(330, 230, "Order total:", "Helvetica-Bold")
    p.right(530, 230, "$56.10", "Helvetica-Bold")
    p.save()
    return "day_month_year", [
        field("job_sheet", "text", label("Job Sheet:"), "OC-3391"),
        field("date", "date", label("Date:"), "2023-09-18"),
        field("first_item", "text", regex(r"(Wheel truing[^$]*?)\s*\$"), "Wheel truing (front and rear)"),
        field("total", "money", label("Order total:"), 56.1),
    ]


def en_receipt(path):
    """A narrow till receipt (80 mm wide), Courier, US date with a time."""
    size = (226, 420)
    p = Page(path, size)
    p.text(20, 30, "CORNER MARKET #112", "Courier-Bold", 10)
    p.text(20, 44, "Date: 12/31/2023 23:59", "Courier", 8)
    p.text(20, 56, "Receipt: 0042-118-7", "Courier", 8)
    y = 80
    for item, amount in [("MILK 1GAL", "4.29"), ("BREAD WHT", "3.49"), ("EGGS DZ", "5.19"),
                         ("COFFEE", "4.88")]:
        p.text(20, y, item, "Courier", 8)
        p.right(206, y, amount, "Courier", 8)
        y += 11
    p.text(20, y + 12, "TOTAL", "Courier-Bold", 9)
    p.right(206, y + 12, "17.85", "Courier-Bold", 9)
    p.save()
    return "month_day_year", [
        field("date", "date", regex(r"Date:\s*(\d{2}/\d{2}/\d{4})"), "2023-12-31"),
        field("receipt", "text", label("Receipt:"), "0042-118-7"),
        field("total", "money", regex(r"TOTAL\s+([\d.]+)"), 17.85),
    ]


ISSUERS = [
    ("en-quickparts-oneline", "en", en_quickparts),
    ("en-northwind-twocolumn", "en", en_northwind),
    ("en-brightwave-credit", "en", en_credit_note),
    ("en-harbor-multipage", "en", en_multipage),
    ("en-kestrel-stamp", "en", en_stamp),
    ("en-pinecrest-cropbox", "en", en_cropbox),
    ("en-thistle-truetype", "en", en_truetype),
    ("en-orbit-dingbats", "en", en_dingbats),
    ("en-corner-receipt", "en", en_receipt),
    ("fr-dupont-boulangerie", "fr", fr_boulangerie),
    ("fr-atelier-oneline", "fr", fr_conseil),
    ("fr-martin-avoir", "fr", fr_avoir),
    ("de-mueller-multipage", "de", de_mueller),
    ("de-alpen-chf", "de", de_alpen),
    ("de-weber-oneline", "de", de_oneline),
    ("nl-bakker", "nl", nl_bakker),
    ("nl-devries-twocolumn", "nl", nl_twocol),
    ("es-levante", "es", es_suministros),
    ("es-ortega-oneline", "es", es_oneline),
    ("it-rossi-leader", "it", it_ferramenta),
    ("it-bianchi-twocolumn", "it", it_twocol),
    ("pt-oliveira", "pt", pt_lda),
    ("pt-araujo-brl", "pt", pt_br),
]

# Scans: (source, form, dpi, degradation). Low-dpi PNGs are flatbed scans (greyscale, skew, noise); phone photos are
# rendered at 200 dpi, then tilted, put in perspective on a darker background, lit unevenly, blurred,
# speckled and saved as JPEG.
SCANS = [
    ("en-quickparts-oneline", "png", 150, "scan"),
    ("fr-dupont-boulangerie", "png", 150, "scan"),
    ("nl-bakker", "png", 120, "scan"),
    ("es-levante", "png", 150, "scan"),
    ("it-rossi-leader", "png", 100, "scan"),
    ("de-weber-oneline", "png", 100, "scan"),
    ("pt-oliveira", "png", 150, "scan"),
    ("en-quickparts-oneline", "jpeg", 200, "photo"),
    ("fr-dupont-boulangerie", "jpeg", 200, "photo"),
    ("de-alpen-chf", "jpeg", 200, "photo"),
    ("nl-devries-twocolumn", "jpeg", 200, "photo"),
    ("es-ortega-oneline", "jpeg", 200, "photo"),
    ("pt-araujo-brl", "jpeg", 200, "photo"),
]


def render(pdf_path, dpi):
    doc = pdfium.PdfDocument(pdf_path)
    image = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    doc.close()
    return image


def perspective_coeffs(src, dst):
    """Coefficients for PIL's PERSPECTIVE transform mapping output points `dst` to input points `src`."""
    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for pt in src for c in pt], dtype=np.float64)
    return np.linalg.solve(a, b).tolist()


def phone_photo(image, seed):
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    w, h = image.size
    # The sheet lies on a darker desk, seen slightly from one side.
    margin = int(0.06 * w)
    canvas_w, canvas_h = w + 2 * margin, h + 2 * margin
    desk = Image.new("L", (canvas_w, canvas_h), 95)
    desk.paste(image, (margin, margin))
    j = lambda: rnd.uniform(-0.025, 0.025) * w  # noqa: E731
    corners = [(margin + j(), margin + j()), (canvas_w - margin + j(), margin + j()),
               (canvas_w - margin + j(), canvas_h - margin + j()), (margin + j(), canvas_h - margin + j())]
    src = [(margin, margin), (canvas_w - margin, margin), (canvas_w - margin, canvas_h - margin),
           (margin, canvas_h - margin)]
    photo = desk.transform((canvas_w, canvas_h), Image.PERSPECTIVE, perspective_coeffs(src, corners),
                           Image.BICUBIC, fillcolor=95)
    photo = photo.rotate(rnd.uniform(-3.0, 3.0), resample=Image.BICUBIC, fillcolor=95)
    arr = np.asarray(photo, dtype=np.float32)
    # Uneven light: brighter near one corner, a soft shadow across the other side.
    yy, xx = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
    cx, cy = rnd.uniform(0, canvas_w), rnd.uniform(0, canvas_h)
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / math.hypot(canvas_w, canvas_h)
    arr = arr * (1.05 - 0.35 * dist)
    arr += rng.normal(0, 7, arr.shape)
    photo = Image.fromarray(arr.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.9))
    return photo


def flatbed_scan(image, seed):
    """A flatbed scan: off-white paper, a fraction of a degree of skew, sensor noise."""
    rnd = random.Random(seed)
    image = image.rotate(rnd.uniform(-0.6, 0.6), resample=Image.BICUBIC, fillcolor=255)
    arr = np.asarray(image, dtype=np.float32) * 0.96
    arr += np.random.default_rng(seed).normal(0, 6, arr.shape)
    # Scanner software flattens the paper to one shade, which keeps the noise on and around the ink.
    arr[arr > 215] = 244
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def main():
    os.makedirs(os.path.join(ROOT, "pdf"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "png"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "jpeg"), exist_ok=True)
    manifest_path = os.path.join(ROOT, "manifest.json")
    previous = {}
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            for doc in json.load(f)["documents"]:
                previous[doc["file"]] = doc
    documents, templates = [], {}
    for name, language, draw in ISSUERS:
        rel = f"pdf/{name}.pdf"
        order, fields = draw(os.path.join(ROOT, rel))
        templates[name] = (language, order, fields)
        documents.append(entry(rel, "pdf", name, language, order, fields, draw.__doc__, previous))
    for i, (source, form, dpi, kind) in enumerate(SCANS):
        language, order, fields = templates[source]
        image = render(os.path.join(ROOT, "pdf", f"{source}.pdf"), dpi)
        if kind == "photo":
            rel = f"jpeg/{source}-photo.jpg"
            phone_photo(image, 100 + i).save(os.path.join(ROOT, rel), "JPEG", quality=72)
            about = f"phone photo of pdf/{source}.pdf (200 dpi, tilted, perspective, uneven light, blur, noise)"
        else:
            rel = f"png/{source}-{dpi}dpi.png"
            image = flatbed_scan(image, 100 + i)
            image.save(os.path.join(ROOT, rel), "PNG", optimize=True)
            about = f"{dpi} dpi greyscale flatbed scan (slight skew, noise) of page 1 of pdf/{source}.pdf"
        # Region rules are fractions of the page; a photo's page sits elsewhere in the frame.
        documents.append(entry(rel, form, source, language, order, fields, about, previous))
    manifest = {
        "about": "Expected values of every corpus document (see tests/corpus/README.md). Generated by "
                 "scripts/make-corpus.sh; `today` notes are kept by hand and survive regeneration.",
        "documents": documents,
    }
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(documents)} documents in {ROOT}", file=sys.stderr)


def entry(rel, form, issuer, language, order, fields, about, previous):
    old = {f["name"]: f for f in previous.get(rel, {}).get("fields", [])}
    kept = []
    for f in fields:
        f = dict(f)
        for kept_key in ("today", "warnings"):
            if f["name"] in old and kept_key in old[f["name"]]:
                f[kept_key] = old[f["name"]][kept_key]
        kept.append(f)
    return {
        "file": rel,
        "form": form,
        "issuer": issuer,
        "language": language,
        "about": " ".join((about or "").split()),
        "template": {"date_order": order},
        "fields": kept,
    }


if __name__ == "__main__":
    main()
