"""Reference data seeded by `tracker init`: Member States, thematic areas, resolutions, partners."""

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    parent: str | None = None
    cross_cutting: bool = False
    sort_order: int = 0


# Top-level areas in the order reports list them, each followed by its sub-areas.
_AREA_TREE: list[tuple[str, str, bool, list[tuple[str, str]]]] = [
    (
        "STRAT",
        "Threat assessment and national strategy",
        False,
        [
            ("RISK_ASSESSMENT", "National terrorism risk assessment"),
            ("COORDINATION", "Inter-agency coordination mechanisms"),
        ],
    ),
    (
        "LEG",
        "Counter-terrorism legislation",
        False,
        [
            ("CRIMINALIZATION", "Criminalization of terrorist offences"),
            ("FTF", "Foreign terrorist fighter offences"),
        ],
    ),
    (
        "CJ",
        "Criminal justice and international cooperation in criminal matters",
        False,
        [
            ("PROSECUTION", "Investigation, prosecution and adjudication"),
            ("MLA_EXTRADITION", "Mutual legal assistance and extradition"),
            ("PRISONS", "Prison management and rehabilitation"),
        ],
    ),
    (
        "CFT",
        "Countering the financing of terrorism",
        False,
        [
            ("FIU", "Financial intelligence unit"),
            ("ASSET_FREEZING", "Freezing of terrorist assets"),
            ("NPO", "Non-profit organizations"),
            ("VIRTUAL_ASSETS", "Virtual assets and new payment methods"),
        ],
    ),
    (
        "LE",
        "Law enforcement",
        False,
        [
            ("INTELLIGENCE", "Counter-terrorism intelligence"),
            ("CRITICAL_INFRASTRUCTURE", "Protection of critical infrastructure and soft targets"),
            ("SALW", "Small arms, light weapons and explosives"),
        ],
    ),
    (
        "BM",
        "Border management",
        False,
        [
            ("AVIATION", "Aviation security"),
            ("MARITIME", "Maritime security"),
            ("BORDER_CONTROL", "Border control and document security"),
            ("API_PNR_BIOMETRICS", "Advance passenger information, PNR and biometrics"),
        ],
    ),
    (
        "ICT",
        "Information and communications technologies and new technologies",
        False,
        [
            ("ONLINE_CONTENT", "Terrorist content online"),
            ("DIGITAL_EVIDENCE", "Digital evidence"),
            ("PUBLIC_PRIVATE", "Public-private partnerships"),
        ],
    ),
    (
        "CVE",
        "Countering violent extremism conducive to terrorism",
        False,
        [
            ("COMMUNITY", "Community engagement"),
            ("INCITEMENT", "Countering incitement"),
            ("REINTEGRATION", "Prosecution, rehabilitation and reintegration"),
        ],
    ),
    ("HR", "Human rights", True, []),
    ("GEN", "Gender and the role of women", True, []),
]


def areas() -> list[Area]:
    result = []
    for index, (code, name, cross_cutting, subs) in enumerate(_AREA_TREE):
        result.append(Area(code, name, None, cross_cutting, (index + 1) * 100))
        for sub_index, (sub, sub_name) in enumerate(subs):
            result.append(Area(f"{code}.{sub}", sub_name, code, cross_cutting, (index + 1) * 100 + sub_index + 1))
    return result


RESOLUTIONS: list[tuple[int, int, str]] = [
    (1373, 2001, "Threats to international peace and security caused by terrorist acts"),
    (1535, 2004, "Establishment of the Counter-Terrorism Committee Executive Directorate"),
    (1624, 2005, "Prohibition of incitement to commit terrorist acts"),
    (2129, 2013, "Renewal of the mandate of CTED"),
    (2178, 2014, "Foreign terrorist fighters"),
    (2242, 2015, "Women and peace and security"),
    (2309, 2016, "Terrorist threats to civil aviation"),
    (2322, 2016, "International judicial cooperation in counter-terrorism"),
    (2341, 2017, "Protection of critical infrastructure against terrorist attacks"),
    (2354, 2017, "Countering terrorist narratives"),
    (2370, 2017, "Preventing terrorists from acquiring weapons"),
    (2395, 2017, "Renewal of the mandate of CTED"),
    (2396, 2017, "Returning and relocating foreign terrorist fighters"),
    (2462, 2019, "Combating the financing of terrorism"),
    (2482, 2019, "Links between international terrorism and organized crime"),
    (2617, 2021, "Renewal of the mandate of CTED"),
]

# The day the Security Council adopted each seeded resolution.
ADOPTED_ON: dict[int, dt.date] = {
    1373: dt.date(2001, 9, 28),
    1535: dt.date(2004, 3, 26),
    1624: dt.date(2005, 9, 14),
    2129: dt.date(2013, 12, 17),
    2178: dt.date(2014, 9, 24),
    2242: dt.date(2015, 10, 13),
    2309: dt.date(2016, 9, 22),
    2322: dt.date(2016, 12, 12),
    2341: dt.date(2017, 2, 13),
    2354: dt.date(2017, 5, 24),
    2370: dt.date(2017, 8, 2),
    2395: dt.date(2017, 12, 21),
    2396: dt.date(2017, 12, 21),
    2462: dt.date(2019, 3, 28),
    2482: dt.date(2019, 7, 19),
    2617: dt.date(2021, 12, 30),
}

PARTNERS: list[tuple[str, str]] = [
    ("ICAO", "International Civil Aviation Organization"),
    ("IMO", "International Maritime Organization"),
    ("UNODC", "United Nations Office on Drugs and Crime"),
    ("INTERPOL", "International Criminal Police Organization"),
    ("IOM", "International Organization for Migration"),
    ("OSCE", "Organization for Security and Co-operation in Europe"),
    ("UNOCT", "United Nations Office of Counter-Terrorism"),
    ("WCO", "World Customs Organization"),
    ("FATF", "Financial Action Task Force"),
    ("OHCHR", "Office of the United Nations High Commissioner for Human Rights"),
    ("UNWOMEN", "United Nations Entity for Gender Equality and the Empowerment of Women"),
    ("UNICRI", "United Nations Interregional Crime and Justice Research Institute"),
    ("UNDP", "United Nations Development Programme"),
    ("UNHCR", "Office of the United Nations High Commissioner for Refugees"),
    ("IAEA", "International Atomic Energy Agency"),
    ("OPCW", "Organisation for the Prohibition of Chemical Weapons"),
    ("COE", "Council of Europe"),
    ("EU", "European Union"),
    ("AU", "African Union"),
    ("APG", "Asia/Pacific Group on Money Laundering"),
]

# The resolutions each top-level area concerns, as the team starts from (docs/dossier.md): the
# assessment debt also counts every resolution tagged on an area's findings.
AREA_RESOLUTIONS: dict[str, tuple[int, ...]] = {
    "STRAT": (1373, 2178, 2396),
    "LEG": (1373, 1624, 2178, 2396, 2462),
    "CJ": (1373, 2178, 2322, 2396, 2482),
    "CFT": (1373, 2178, 2462, 2482),
    "LE": (1373, 2341, 2370, 2396, 2482),
    "BM": (1373, 2178, 2309, 2396),
    "ICT": (2178, 2354, 2396),
    "CVE": (1624, 2178, 2354, 2396),
    "HR": (1373, 1624, 2178, 2396),
    "GEN": (2242, 2178, 2396),
}

# The partner organisation that specialises in an area or sub-area, suggested for a delegation.
SPECIALISED_PARTNERS: dict[str, tuple[str, ...]] = {
    "STRAT": ("UNOCT",),
    "LEG": ("UNODC",),
    "CJ": ("UNODC",),
    "CJ.PRISONS": ("UNODC", "UNICRI"),
    "CFT": ("UNODC", "FATF"),
    "LE": ("INTERPOL",),
    "LE.SALW": ("UNODC", "INTERPOL"),
    "BM": ("IOM", "INTERPOL"),
    "BM.AVIATION": ("ICAO",),
    "BM.MARITIME": ("IMO",),
    "BM.BORDER_CONTROL": ("IOM", "WCO"),
    "BM.API_PNR_BIOMETRICS": ("ICAO", "UNOCT"),
    "ICT": ("UNOCT", "UNICRI"),
    "CVE": ("UNOCT", "UNDP"),
    "HR": ("OHCHR",),
    "GEN": ("UNWOMEN",),
}

# Names the United Nations uses where the package's short name differs.
_UN_NAMES = {
    "BOL": "Bolivia (Plurinational State of)",
    "BRN": "Brunei Darussalam",
    "COD": "Democratic Republic of the Congo",
    "COG": "Congo",
    "CZE": "Czechia",
    "FSM": "Micronesia (Federated States of)",
    "GBR": "United Kingdom of Great Britain and Northern Ireland",
    "IRN": "Iran (Islamic Republic of)",
    "KOR": "Republic of Korea",
    "LAO": "Lao People's Democratic Republic",
    "MDA": "Republic of Moldova",
    "PRK": "Democratic People's Republic of Korea",
    "RUS": "Russian Federation",
    "SYR": "Syrian Arab Republic",
    "TZA": "United Republic of Tanzania",
    "USA": "United States of America",
    "VEN": "Venezuela (Bolivarian Republic of)",
    "VNM": "Viet Nam",
}


@cache
def member_states() -> list[tuple[str, str, str]]:
    """(iso3, name, region) of the 193 UN Member States, region being the UN M49 sub-region.

    The table is read straight from country_converter's data file: its converter class cannot
    load under pandas 3, where Namibia's ISO2 code "NA" is parsed as a missing value.
    """
    # Found without importing the package, whose __init__ loads pandas: an import checks State codes.
    spec = find_spec("country_converter")
    assert spec is not None and spec.submodule_search_locations, "country_converter is a dependency"
    with (Path(next(iter(spec.submodule_search_locations))) / "country_data.tsv").open(encoding="utf-8") as data:
        rows = list(csv.DictReader(data, delimiter="\t"))
    return sorted(
        (row["ISO3"], _UN_NAMES.get(row["ISO3"], row["name_short"]), row["UNregion"]) for row in rows if row["UNmember"]
    )
