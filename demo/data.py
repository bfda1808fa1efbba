"""Static content of the demo retailer: channels, locations, the category tree, brands and product types.

KROK is a made-up Polish chain selling shoes, fashion and sportswear online and in shopping centres.
The stores sit in real shopping centres at their real addresses and coordinates; the two warehouses
are fictional buildings placed in real logistics hubs (Stryków at the A1/A2 junction, Gliwice on A1/A4).
"""

from decimal import Decimal

from catalog.models import Channel
from inventory.models import Location
from omnishop.accounts import roles

RETAILER = "KROK"
RETAILER_TAGLINE = "KROK: obuwie, moda i sport"

# (code, name, kind, api_key_required)
CHANNELS = [
    ("web", "Sklep internetowy", Channel.Kind.WEB, False),
    ("app", "Aplikacja mobilna", Channel.Kind.APP, False),
    ("store", "Sklepy stacjonarne", Channel.Kind.STORE, False),
    ("call_centre", "Infolinia", Channel.Kind.CALL_CENTRE, False),
    ("allegro", "Allegro", Channel.Kind.MARKETPLACE, True),
    ("b2b", "Sprzedaż B2B", Channel.Kind.B2B, False),
]

# Share of products listed in each channel (web always).
CHANNEL_SHARE = {"web": 1.0, "app": 0.95, "store": 0.85, "call_centre": 0.9, "allegro": 0.4, "b2b": 0.25}

# Sunday trading is banned in Poland apart from a few "niedziele handlowe" a year: closed on Sundays.
MALL_HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "10:00-21:00") | {"sun": None}
LONG_HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat"), "09:00-22:00") | {"sun": None}

STORES = [
    {
        "code": "waw-arkadia",
        "name": "KROK Warszawa Westfield Arkadia",
        "street": "al. Jana Pawła II 82",
        "postal_code": "00-175",
        "city": "Warszawa",
        "latitude": Decimal("52.256389"),
        "longitude": Decimal("20.983889"),
        "phone": "+48 22 100 20 01",
        "opening_hours": LONG_HOURS,
        "ship_from_store": True,
    },
    {
        "code": "waw-mokotow",
        "name": "KROK Warszawa Galeria Mokotów",
        "street": "ul. Wołoska 12",
        "postal_code": "02-675",
        "city": "Warszawa",
        "latitude": Decimal("52.180278"),
        "longitude": Decimal("21.003889"),
        "phone": "+48 22 100 20 02",
        "opening_hours": LONG_HOURS,
        "ship_from_store": False,
    },
    {
        "code": "krk-galeria-krakowska",
        "name": "KROK Kraków Galeria Krakowska",
        "street": "ul. Pawia 5",
        "postal_code": "31-154",
        "city": "Kraków",
        "latitude": Decimal("50.067500"),
        "longitude": Decimal("19.945600"),
        "phone": "+48 12 100 20 03",
        "opening_hours": LONG_HOURS,
        "ship_from_store": True,
    },
    {
        "code": "lodz-manufaktura",
        "name": "KROK Łódź Manufaktura",
        "street": "ul. Jana Karskiego 5",
        "postal_code": "91-071",
        "city": "Łódź",
        "latitude": Decimal("51.779444"),
        "longitude": Decimal("19.447222"),
        "phone": "+48 42 100 20 04",
        "opening_hours": MALL_HOURS,
        "ship_from_store": True,
    },
    {
        "code": "wro-pasaz-grunwaldzki",
        "name": "KROK Wrocław Pasaż Grunwaldzki",
        "street": "pl. Grunwaldzki 22",
        "postal_code": "50-363",
        "city": "Wrocław",
        "latitude": Decimal("51.112222"),
        "longitude": Decimal("17.059722"),
        "phone": "+48 71 100 20 05",
        "opening_hours": MALL_HOURS,
        "ship_from_store": False,
    },
    {
        "code": "poz-stary-browar",
        "name": "KROK Poznań Stary Browar",
        "street": "ul. Półwiejska 42",
        "postal_code": "61-888",
        "city": "Poznań",
        "latitude": Decimal("52.401800"),
        "longitude": Decimal("16.928700"),
        "phone": "+48 61 100 20 06",
        "opening_hours": MALL_HOURS,
        "ship_from_store": True,
    },
    {
        "code": "gda-galeria-baltycka",
        "name": "KROK Gdańsk Galeria Bałtycka",
        "street": "al. Grunwaldzka 141",
        "postal_code": "80-264",
        "city": "Gdańsk",
        "latitude": Decimal("54.383100"),
        "longitude": Decimal("18.599200"),
        "phone": "+48 58 100 20 07",
        "opening_hours": MALL_HOURS,
        "ship_from_store": True,
    },
    {
        "code": "szz-galaxy",
        "name": "KROK Szczecin Galaxy",
        "street": "al. Wyzwolenia 18-20",
        "postal_code": "70-554",
        "city": "Szczecin",
        "latitude": Decimal("53.432000"),
        "longitude": Decimal("14.553300"),
        "phone": "+48 91 100 20 08",
        "opening_hours": MALL_HOURS,
        "ship_from_store": False,
    },
    {
        "code": "lub-plaza",
        "name": "KROK Lublin Plaza",
        "street": "ul. Lipowa 13",
        "postal_code": "20-020",
        "city": "Lublin",
        "latitude": Decimal("51.246400"),
        "longitude": Decimal("22.553600"),
        "phone": "+48 81 100 20 09",
        "opening_hours": MALL_HOURS,
        "ship_from_store": False,
    },
    {
        "code": "ktw-silesia",
        "name": "KROK Katowice Silesia City Center",
        "street": "ul. Chorzowska 107",
        "postal_code": "40-101",
        "city": "Katowice",
        "latitude": Decimal("50.269500"),
        "longitude": Decimal("18.995300"),
        "phone": "+48 32 100 20 10",
        "opening_hours": MALL_HOURS,
        "ship_from_store": True,
    },
    {
        "code": "bia-alfa",
        "name": "KROK Białystok Galeria Alfa",
        "street": "ul. Świętojańska 15",
        "postal_code": "15-277",
        "city": "Białystok",
        "latitude": Decimal("53.126700"),
        "longitude": Decimal("23.155000"),
        "phone": "+48 85 100 20 11",
        "opening_hours": MALL_HOURS,
        "ship_from_store": False,
    },
]

WAREHOUSES = [
    {
        "code": "wh-strykow",
        "name": "KROK Centrum Dystrybucyjne Stryków",
        "street": "Park logistyczny, hala B",
        "postal_code": "95-010",
        "city": "Stryków",
        "latitude": Decimal("51.903500"),
        "longitude": Decimal("19.588000"),
        "phone": "+48 42 100 30 01",
    },
    {
        "code": "wh-gliwice",
        "name": "KROK Magazyn Gliwice",
        "street": "Park logistyczny, hala 3",
        "postal_code": "44-100",
        "city": "Gliwice",
        "latitude": Decimal("50.293000"),
        "longitude": Decimal("18.705000"),
        "phone": "+48 32 100 30 02",
    },
]

STORE_KIND = Location.Kind.STORE
WAREHOUSE_KIND = Location.Kind.WAREHOUSE

# Root category -> leaves, as (name, slug). Slugs are given because slugify() drops "ł".
CATEGORY_TREE = [
    (
        ("Obuwie", "obuwie"),
        [
            ("Buty do biegania", "buty-do-biegania"),
            ("Sneakersy", "sneakersy"),
            ("Buty trekkingowe", "buty-trekkingowe"),
            ("Botki i kozaki", "botki-i-kozaki"),
            ("Sandały i klapki", "sandaly-i-klapki"),
        ],
    ),
    (
        ("Odzież", "odziez"),
        [
            ("Kurtki", "kurtki"),
            ("Bluzy", "bluzy"),
            ("Koszulki", "koszulki"),
            ("Spodnie i legginsy", "spodnie-i-legginsy"),
        ],
    ),
    (
        ("Sport", "sport"),
        [
            ("Fitness i siłownia", "fitness-i-silownia"),
            ("Piłka nożna", "pilka-nozna"),
            ("Sporty zimowe", "sporty-zimowe"),
            ("Turystyka", "turystyka"),
        ],
    ),
    (
        ("Akcesoria", "akcesoria"),
        [
            ("Plecaki i torby", "plecaki-i-torby"),
            ("Czapki i szaliki", "czapki-i-szaliki"),
            ("Skarpety", "skarpety"),
            ("Pielęgnacja obuwia", "pielegnacja-obuwia"),
        ],
    ),
]

# Made-up brands; KROK is the chain's own label. No "ł" in names: brand slugs come from slugify().
# Each root category draws from its own brands; some leaves have specialists.
ROOT_BRANDS = {
    "obuwie": ["KROK", "Tatrix", "Mazur Run", "Wydma", "Zefir", "Bieszczady Trail"],
    "odziez": ["KROK", "Zefir", "Puszcza", "Vistula Active", "Rysy Outdoor", "Mazur Run"],
    "sport": ["KROK", "Vistula Active", "Rysy Outdoor", "Bieszczady Trail", "Tatrix"],
    "akcesoria": ["KROK", "Puszcza", "Wydma", "Rysy Outdoor", "Zefir"],
}
LEAF_BRANDS = {
    "buty-do-biegania": ["Mazur Run", "Zefir", "KROK"],
    "buty-trekkingowe": ["Bieszczady Trail", "Rysy Outdoor", "Tatrix"],
    "pilka-nozna": ["Orlik Football", "KROK"],
    "sporty-zimowe": ["Tatrix", "Rysy Outdoor"],
}
BRANDS = list(dict.fromkeys(name for names in (*ROOT_BRANDS.values(), *LEAF_BRANDS.values()) for name in names))
ROOT_OF_LEAF = {leaf_slug: root_slug for (_root, root_slug), leaves in CATEGORY_TREE for _leaf, leaf_slug in leaves}

MODELS = [
    "Aero",
    "Tempo",
    "Vento",
    "Orkan",
    "Halny",
    "Bryza",
    "Sztorm",
    "Iskra",
    "Zenit",
    "Kompas",
    "Nord",
    "Fala",
    "Grań",
    "Szczyt",
    "Piorun",
    "Echo",
    "Nova",
    "Rapid",
    "Zorza",
    "Wicher",
]

# Polish colour name -> short code used in SKUs.
COLOURS = {
    "czarny": "CZA",
    "biały": "BIA",
    "granatowy": "GRA",
    "szary": "SZA",
    "czerwony": "CZE",
    "zielony": "ZIE",
    "niebieski": "NIE",
    "beżowy": "BEZ",
    "brązowy": "BRA",
    "różowy": "ROZ",
    "żółty": "ZOL",
    "khaki": "KHA",
    "bordowy": "BOR",
    "oliwkowy": "OLI",
    "bezbarwny": "BZB",
}
BASIC = ["czarny", "biały", "granatowy", "szary", "beżowy", "khaki"]
BRIGHT = ["czarny", "biały", "czerwony", "niebieski", "różowy", "żółty", "zielony"]
OUTDOOR = ["czarny", "szary", "khaki", "oliwkowy", "granatowy", "brązowy", "bordowy"]
LEATHER = ["czarny", "brązowy", "beżowy", "bordowy", "szary", "granatowy"]

SIZES = {
    "shoe_w": [str(n) for n in range(36, 42)],
    "shoe_m": [str(n) for n in range(40, 47)],
    "shoe_u": [str(n) for n in range(36, 47)],
    "shoe_k": [str(n) for n in range(28, 36)],
    "cloth": ["XS", "S", "M", "L", "XL", "XXL"],
    "acc": ["S/M", "L/XL"],
    "socks": ["35-38", "39-42", "43-46"],
    "ball": ["3", "4", "5"],
    "backpack": ["20 l", "30 l", "45 l"],
    "care": ["150 ml", "250 ml"],
    "one": ["uniwersalny"],
}

# Each leaf sells a few product types: (name, [(suffix, size set)], colours, (min, max) price in złoty,
# materials, selling points). The suffix agrees with the noun in Polish ("buty męskie", "kurtka męska").
PRODUCT_TYPES = {
    "buty-do-biegania": [
        (
            "Buty do biegania",
            [("damskie", "shoe_w"), ("męskie", "shoe_m")],
            BRIGHT,
            (249, 699),
            ["siatka techniczna", "dzianina oddychająca"],
            [
                "Lekkie i amortyzowane, do codziennych treningów na asfalcie.",
                "Sprężysta pianka w podeszwie oddaje energię przy każdym kroku.",
                "Stabilna pięta i szeroki przód dla dłuższych wybiegań.",
            ],
        ),
        (
            "Buty do biegania w terenie",
            [("damskie", "shoe_w"), ("męskie", "shoe_m")],
            OUTDOOR,
            (329, 799),
            ["siatka z membraną wodoodporną", "cordura"],
            [
                "Agresywny bieżnik trzyma na błocie i mokrych korzeniach.",
                "Płytka ochronna chroni stopę przed kamieniami.",
            ],
        ),
    ],
    "sneakersy": [
        (
            "Sneakersy",
            [("damskie", "shoe_w"), ("męskie", "shoe_m"), ("", "shoe_u")],
            BASIC,
            (199, 549),
            ["skóra naturalna", "zamsz", "płótno"],
            ["Klasyczny fason, który pasuje do wszystkiego.", "Miękka wkładka i wygodna cholewka na cały dzień."],
        ),
        (
            "Trampki",
            [("dziecięce", "shoe_k"), ("", "shoe_u")],
            BRIGHT,
            (99, 249),
            ["płótno bawełniane"],
            ["Lekkie trampki na wiosnę i lato.", "Gumowy nosek chroni palce."],
        ),
    ],
    "buty-trekkingowe": [
        (
            "Buty trekkingowe",
            [("damskie", "shoe_w"), ("męskie", "shoe_m")],
            OUTDOOR,
            (349, 899),
            ["skóra nubukowa z membraną", "zamsz i cordura"],
            [
                "Za kostkę, z membraną: na szlak w każdą pogodę.",
                "Podeszwa o wysokiej przyczepności na skale i mokrej trawie.",
            ],
        ),
    ],
    "botki-i-kozaki": [
        (
            "Botki",
            [("damskie", "shoe_w")],
            LEATHER,
            (279, 699),
            ["skóra licowa", "zamsz"],
            ["Stabilny słupek i miękka skóra na jesień.", "Zamek błyskawiczny ułatwia zakładanie."],
        ),
        (
            "Kozaki",
            [("damskie", "shoe_w")],
            LEATHER,
            (399, 999),
            ["skóra licowa z ociepleniem"],
            ["Ciepłe wyściółki na polską zimę.", "Antypoślizgowa podeszwa na oblodzone chodniki."],
        ),
        (
            "Trzewiki",
            [("męskie", "shoe_m")],
            LEATHER,
            (349, 799),
            ["skóra licowa"],
            ["Solidne szycie i podeszwa, którą można wymienić.", "Klasyczne trzewiki do miasta i na wyjazd."],
        ),
    ],
    "sandaly-i-klapki": [
        (
            "Sandały",
            [("damskie", "shoe_w"), ("męskie", "shoe_m")],
            LEATHER,
            (129, 349),
            ["skóra naturalna", "taśmy tekstylne"],
            ["Regulowane paski i wyprofilowana wkładka.", "Lekkie sandały na wakacje i miasto."],
        ),
        (
            "Klapki",
            [("", "shoe_u")],
            BRIGHT,
            (49, 149),
            ["pianka EVA"],
            ["Na basen, plażę i pod prysznic po treningu.", "Miękkie, szybkoschnące i lekkie."],
        ),
    ],
    "kurtki": [
        (
            "Kurtka puchowa",
            [("damska", "cloth"), ("męska", "cloth")],
            OUTDOOR,
            (399, 1299),
            ["puch naturalny 90/10", "ocieplina syntetyczna"],
            ["Ciepła i lekka, spakujesz ją do worka.", "Kaptur i wysoki kołnierz chronią przed wiatrem."],
        ),
        (
            "Kurtka przeciwdeszczowa",
            [("damska", "cloth"), ("męska", "cloth")],
            OUTDOOR,
            (249, 799),
            ["poliamid z membraną 10 000 mm"],
            ["Klejone szwy i regulowany kaptur.", "Oddycha podczas marszu, nie przepuszcza deszczu."],
        ),
        (
            "Kurtka softshell",
            [("damska", "cloth"), ("męska", "cloth")],
            BASIC,
            (229, 599),
            ["softshell z mikropolarem"],
            ["Na wiosenne wyjścia i chłodne poranki.", "Elastyczna i odporna na wiatr."],
        ),
    ],
    "bluzy": [
        (
            "Bluza z kapturem",
            [("damska", "cloth"), ("męska", "cloth")],
            BASIC,
            (149, 349),
            ["bawełna organiczna", "dresówka pętelkowa"],
            ["Miękka dresówka i kieszeń kangurka.", "Luźny krój na co dzień i po treningu."],
        ),
        (
            "Bluza polarowa",
            [("damska", "cloth"), ("męska", "cloth")],
            OUTDOOR,
            (129, 299),
            ["polar 200 g/m²"],
            ["Ciepła warstwa pod kurtkę na szlak.", "Szybko schnie i dobrze grzeje."],
        ),
    ],
    "koszulki": [
        (
            "Koszulka",
            [("damska", "cloth"), ("męska", "cloth")],
            BASIC,
            (49, 129),
            ["bawełna 100%", "bawełna z elastanem"],
            ["Podstawa każdej szafy.", "Gęsta bawełna, która nie traci fasonu po praniu."],
        ),
        (
            "Koszulka do biegania",
            [("damska", "cloth"), ("męska", "cloth")],
            BRIGHT,
            (69, 179),
            ["poliester z recyklingu"],
            ["Odprowadza wilgoć i szybko schnie.", "Płaskie szwy nie obcierają na długim dystansie."],
        ),
    ],
    "spodnie-i-legginsy": [
        (
            "Legginsy sportowe",
            [("damskie", "cloth")],
            BASIC,
            (99, 249),
            ["poliamid z elastanem"],
            ["Wysoki stan i kieszeń na telefon.", "Nie prześwitują przy przysiadach."],
        ),
        (
            "Spodnie trekkingowe",
            [("damskie", "cloth"), ("męskie", "cloth")],
            OUTDOOR,
            (179, 449),
            ["nylon ripstop z elastanem"],
            ["Odpinane nogawki: spodnie i szorty w jednym.", "Wzmocnione kolana na skałki."],
        ),
        (
            "Spodnie dresowe",
            [("damskie", "cloth"), ("męskie", "cloth")],
            BASIC,
            (119, 279),
            ["dresówka bawełniana"],
            ["Ściągacze przy kostkach i wygodny pas.", "Na trening, spacer i kanapę."],
        ),
    ],
    "fitness-i-silownia": [
        (
            "Stanik sportowy",
            [("", "cloth")],
            BRIGHT,
            (79, 199),
            ["poliamid z elastanem"],
            ["Mocne podtrzymanie przy intensywnym treningu.", "Szerokie ramiączka i oddychające panele."],
        ),
        (
            "Rękawiczki treningowe",
            [("", "acc")],
            ["czarny", "szary", "czerwony"],
            (49, 119),
            ["skóra syntetyczna z siatką"],
            ["Chronią dłonie przed odciskami na drążku.", "Rzep na nadgarstku stabilizuje chwyt."],
        ),
        (
            "Mata do ćwiczeń",
            [("", "one")],
            BRIGHT,
            (79, 229),
            ["pianka TPE 6 mm"],
            ["Antypoślizgowa, z paskiem do noszenia.", "Do jogi, pilatesu i rozciągania."],
        ),
    ],
    "pilka-nozna": [
        (
            "Korki",
            [("męskie", "shoe_m"), ("dziecięce", "shoe_k")],
            BRIGHT,
            (149, 699),
            ["skóra syntetyczna"],
            ["Na naturalną murawę (FG).", "Lekka cholewka dla lepszego czucia piłki."],
        ),
        (
            "Piłka nożna",
            [("", "ball")],
            ["biały", "żółty", "czerwony", "niebieski"],
            (59, 249),
            ["poliuretan, szyta maszynowo"],
            ["Na treningi i mecze na orliku.", "Dobrze trzyma okrągły kształt i ciśnienie."],
        ),
        (
            "Koszulka meczowa",
            [("", "cloth")],
            BRIGHT,
            (99, 249),
            ["poliester z mikrootworami"],
            ["Przewiewna koszulka dla całej drużyny.", "Gotowa pod nadruk numeru i nazwiska."],
        ),
    ],
    "sporty-zimowe": [
        (
            "Kurtka narciarska",
            [("damska", "cloth"), ("męska", "cloth")],
            BRIGHT,
            (499, 1499),
            ["poliester z membraną 15 000 mm"],
            ["Fartuch przeciwśnieżny i kieszeń na karnet.", "Ciepła na mroźne dni w Białce i Szczyrku."],
        ),
        (
            "Rękawice narciarskie",
            [("", "acc")],
            ["czarny", "granatowy", "czerwony", "szary"],
            (89, 299),
            ["poliamid z membraną i ociepleniem"],
            ["Wodoodporne, z długim mankietem.", "Wzmocniona dłoń do trzymania kijków."],
        ),
        (
            "Gogle narciarskie",
            [("", "one")],
            ["czarny", "biały", "niebieski", "czerwony", "różowy"],
            (149, 599),
            ["szyba poliwęglanowa z filtrem UV"],
            ["Podwójna szyba, która nie paruje.", "Pasują do większości kasków."],
        ),
    ],
    "turystyka": [
        (
            "Plecak trekkingowy",
            [("", "backpack")],
            OUTDOOR,
            (199, 699),
            ["nylon ripstop"],
            ["Regulowany system nośny i pas biodrowy.", "Pokrowiec przeciwdeszczowy w zestawie."],
        ),
        (
            "Kije trekkingowe",
            [("", "one")],
            ["czarny", "szary", "niebieski"],
            (99, 349),
            ["aluminium 7075"],
            ["Składane, z korkową rączką.", "Odciążają kolana na zejściach."],
        ),
        (
            "Latarka czołowa",
            [("", "one")],
            ["czarny", "czerwony", "żółty", "niebieski"],
            (59, 229),
            ["tworzywo ABS, akumulator USB-C"],
            ["Strumień do 300 lumenów i czerwone światło.", "Ładowana przez USB-C, bez baterii."],
        ),
    ],
    "plecaki-i-torby": [
        (
            "Plecak miejski",
            [("", "backpack")],
            BASIC,
            (129, 399),
            ["poliester z recyklingu"],
            ["Przegroda na laptopa 15,6″.", "Ukryta kieszeń na dokumenty i klucze."],
        ),
        (
            "Torba sportowa",
            [("", "backpack")],
            BASIC,
            (99, 299),
            ["poliester 600D"],
            ["Osobna kieszeń na buty.", "Na siłownię i weekendowy wyjazd."],
        ),
        (
            "Nerka",
            [("", "one")],
            BRIGHT,
            (49, 129),
            ["nylon"],
            ["Na telefon, klucze i portfel.", "Nosisz w pasie albo przez ramię."],
        ),
    ],
    "czapki-i-szaliki": [
        (
            "Czapka zimowa",
            [("", "one")],
            BASIC,
            (49, 149),
            ["wełna merino", "akryl z polarową podszewką"],
            ["Ciepła podszewka zakrywa uszy.", "Klasyczny splot, który nie gryzie."],
        ),
        (
            "Szalik",
            [("", "one")],
            BASIC,
            (59, 179),
            ["wełna z kaszmirem", "bawełna"],
            ["Miękki i długi, owiniesz go dwa razy.", "Do płaszcza i do kurtki."],
        ),
        (
            "Czapka z daszkiem",
            [("", "one")],
            BRIGHT,
            (39, 119),
            ["bawełna"],
            ["Regulowany pasek z tyłu.", "Osłania oczy na wybieganiu i w mieście."],
        ),
    ],
    "skarpety": [
        (
            "Skarpety do biegania",
            [("", "socks")],
            BRIGHT,
            (29, 69),
            ["poliamid z włóknem Coolmax"],
            ["Wzmocniona pięta i palce.", "Odprowadzają pot, chronią przed pęcherzami."],
        ),
        (
            "Skarpety trekkingowe",
            [("", "socks")],
            OUTDOOR,
            (39, 89),
            ["wełna merino"],
            ["Merino grzeje i nie chłonie zapachów.", "Grubsza frotte pod podeszwą."],
        ),
        (
            "Skarpety bawełniane 3-pak",
            [("", "socks")],
            BASIC,
            (29, 59),
            ["bawełna czesana"],
            ["Trzy pary na co dzień.", "Nie uciskają łydki."],
        ),
    ],
    "pielegnacja-obuwia": [
        (
            "Impregnat do obuwia",
            [("", "care")],
            ["bezbarwny"],
            (29, 69),
            ["spray na bazie fluoropolimerów"],
            ["Chroni skórę i tekstylia przed wodą i solą.", "Nie zmienia koloru zamszu."],
        ),
        (
            "Pasta do butów",
            [("", "one")],
            ["czarny", "brązowy", "bezbarwny", "granatowy"],
            (15, 39),
            ["wosk pszczeli i carnauba"],
            ["Odżywia i nabłyszcza skórę licową.", "Maskuje drobne otarcia."],
        ),
    ],
}

# Relative weight of each leaf when choosing a product's category: shoes sell most.
LEAF_WEIGHTS = {
    "buty-do-biegania": 9,
    "sneakersy": 9,
    "buty-trekkingowe": 6,
    "botki-i-kozaki": 6,
    "sandaly-i-klapki": 5,
    "kurtki": 7,
    "bluzy": 6,
    "koszulki": 6,
    "spodnie-i-legginsy": 6,
    "fitness-i-silownia": 4,
    "pilka-nozna": 4,
    "sporty-zimowe": 4,
    "turystyka": 4,
    "plecaki-i-torby": 4,
    "czapki-i-szaliki": 3,
    "skarpety": 3,
    "pielegnacja-obuwia": 2,
}

# Streets for demo delivery addresses (common in every Polish city).
STREET_NAMES = [
    "Mickiewicza", "Słowackiego", "Kościuszki", "Piłsudskiego", "Sienkiewicza", "Kopernika", "Polna",
    "Lipowa", "Ogrodowa", "Szkolna", "Długa", "Krótka", "Kwiatowa", "Leśna", "Słoneczna",
]  # fmt: skip

# Customers mostly live near a store; the rest anywhere in Poland (Faker's city).
STORE_CITIES = sorted({store["city"] for store in STORES})

# Demo staff: (e-mail, first name, last name, role group name or None for the superuser).
STAFF = [
    ("admin@omnishop.demo", "Administrator", "Demo", None),
    ("agent@omnishop.demo", "Agnieszka", "Wrona", roles.CUSTOMER_SERVICE_AGENT),
    ("store@omnishop.demo", "Paweł", "Kruk", roles.STORE_STAFF),
    ("merch@omnishop.demo", "Marta", "Sowa", roles.MERCHANDISER),
    ("inventory@omnishop.demo", "Tomasz", "Lis", roles.INVENTORY_MANAGER),
    ("warehouse@omnishop.demo", "Jerzy", "Dudek", roles.WAREHOUSE_STAFF),
    ("integration@omnishop.demo", "Kamil", "Czajka", roles.INTEGRATION_ADMIN),
    ("iod@omnishop.demo", "Irena", "Bocian", roles.DATA_PROTECTION_OFFICER),
]

# Used only when Faker is not installed (it is a dev dependency; `make run` installs runtime only).
FALLBACK_FIRST_NAMES_FEMALE = [
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna", "Magdalena",
    "Elżbieta", "Joanna", "Aleksandra", "Zofia", "Monika", "Natalia", "Julia", "Karolina", "Marta",
    "Weronika", "Justyna",
]  # fmt: skip
FALLBACK_FIRST_NAMES_MALE = [
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Jan", "Michał", "Marcin", "Stanisław",
    "Jakub", "Adam", "Marek", "Łukasz", "Grzegorz", "Mateusz", "Wojciech", "Mariusz", "Dariusz",
    "Kacper", "Szymon",
]  # fmt: skip
# (male form, female form)
FALLBACK_LAST_NAMES = [
    ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"), ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"), ("Mazur", "Mazur"),
    ("Kwiatkowski", "Kwiatkowska"), ("Wojciechowski", "Wojciechowska"), ("Krawczyk", "Krawczyk"),
    ("Kaczmarek", "Kaczmarek"), ("Piotrowski", "Piotrowska"), ("Grabowski", "Grabowska"),
]  # fmt: skip
FALLBACK_CITIES = [
    "Bydgoszcz", "Toruń", "Rzeszów", "Kielce", "Olsztyn", "Opole", "Zielona Góra", "Gorzów Wielkopolski",
    "Radom", "Częstochowa", "Gdynia", "Sopot", "Płock", "Elbląg", "Tarnów", "Koszalin", "Kalisz", "Legnica",
]  # fmt: skip
