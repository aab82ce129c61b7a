"""The demo shop's catalog: a Ukrainian shop's kitchenware, tea and home goods, with English texts.

Each row: SKU, Ukrainian name, English name, price in kopiyky, weight in grams, units on hand.
Slugs are made from the English names (ASCII, as they were before the shop spoke Ukrainian).
"""

NBSP = "\u00a0"

PRODUCTS = [
    (
        "KR-KIT-001",
        "Полтавський глиняний горщик для запікання, 1,5 л",
        "Poltava Clay Cooking Pot, 1.5 l",
        64900,
        1800,
        24,
    ),
    ("KR-KIT-002", "Емальована каструля для борщу, 5 л", "Borshch Pot, Enamel, 5 l", 89900, 2100, 31),
    ("KR-KIT-003", "Київська чавунна сковорода, 26 см", "Kyiv Cast-Iron Skillet, 26 cm", 119900, 2900, 12),
    ("KR-KIT-004", "Алюмінієва форма для вареників", "Varenyky Mould, Aluminium", 24900, 350, 47),
    ("KR-KIT-005", "Обробна дошка з петриківським розписом", "Petrykivka Painted Cutting Board", 54900, 900, 8),
    ("KR-KIT-006", "Гуцульський набір дерев'яних ложок (5 шт.)", "Hutsul Wooden Spoon Set (5 pcs)", 32900, 300, 40),
    (
        "KR-KIT-007",
        "Запорізький набір кухарських ножів, 5 шт.",
        "Zaporizhzhia Chef's Knife Set, 5 pcs",
        249900,
        1600,
        6,
    ),
    ("KR-KIT-008", "Криворізький черпак із нержавійної сталі", "Kryvyi Rih Stainless Steel Ladle", 18900, 250, 50),
    (
        "KR-KIT-009",
        "Волинський кошик для розстоювання житнього хліба",
        "Volyn Rye Bread Proofing Basket",
        42900,
        400,
        15,
    ),
    ("KR-KIT-010", "Херсонський ніж для кавунів", "Kherson Watermelon Slicer", 21900, 300, 0),
    ("KR-KIT-011", "Полтавська пароварка-вставка для галушок", "Poltava Halushky Steamer Basket", 27900, 450, 19),
    (
        "KR-KIT-012",
        "Рівненські бурштинові млинки для солі й перцю",
        "Rivne Amber Salt and Pepper Mills",
        69900,
        700,
        11,
    ),
    ("KR-KIT-013", "Черкаська вафельниця", "Cherkasy Waffle Iron", 139900, 2300, 9),
    ("KR-TEA-001", "Львівська ручна кавомолка", "Lviv Coffee Hand Grinder", 159900, 650, 14),
    ("KR-TEA-002", "Опішнянська керамічна чашка, 350 мл", "Opishnia Ceramic Mug, 350 ml", 29900, 400, 36),
    ("KR-TEA-003", "Закарпатський трав'яний чай у бляшанці", "Zakarpattia Herbal Tea Tin", 19900, 150, 44),
    (
        "KR-TEA-004",
        "Чернігівська банка для меду з дерев'яною ложкою",
        "Chernihiv Honey Jar with Wooden Dipper",
        34900,
        600,
        22,
    ),
    ("KR-TEA-005", "Миколаївський термос, 1 л", "Mykolaiv Vacuum Flask, 1 l", 79900, 550, 0),
    ("KR-HOM-001", "Карпатська вовняна ковдра, 140×200", "Carpathian Wool Blanket, 140x200", 279900, 1900, 7),
    ("KR-HOM-002", "Одеська лляна скатертина, 150×220", "Odesa Linen Tablecloth, 150x220", 149900, 800, 13),
    ("KR-HOM-003", "Вишиті кухонні рушники (3 шт.)", "Embroidered Kitchen Towels (set of 3)", 44900, 350, 28),
    ("KR-HOM-004", "Буковинські воскові свічки (пара)", "Bukovyna Beeswax Candles (pair)", 22900, 300, 33),
    ("KR-HOM-005", "Тернопільські валяні капці", "Ternopil Felted Wool Slippers", 59900, 500, 18),
    ("KR-HOM-006", "Лляний фартух «Сорочинський ярмарок»", "Sorochyntsi Fair Linen Apron", 39900, 250, 25),
    (
        "KR-GAD-001",
        "Дніпровський скляний електрочайник, 1,7 л",
        "Dnipro Glass Electric Kettle, 1.7 l",
        109900,
        1400,
        20,
    ),
    ("KR-GAD-002", f"Харківський павербанк, 20{NBSP}000 мА·год", "Kharkiv Power Bank, 20000 mAh", 99900, 420, 30),
    ("KR-GAD-003", "Вінницький зарядний пристрій USB-C, 65 Вт", "Vinnytsia USB-C Charger, 65 W", 89900, 180, 27),
    ("KR-GAD-004", "Ужгородська Bluetooth-колонка", "Uzhhorod Bluetooth Speaker", 129900, 600, 10),
    ("KR-GAD-005", "Сумська розумна LED-лампа, E27", "Sumy Smart LED Bulb, E27", 27900, 100, 42),
    (
        "KR-GAD-006",
        "Івано-Франківська акумуляторна настільна лампа",
        "Ivano-Frankivsk Rechargeable Desk Lamp",
        74900,
        900,
        16,
    ),
]
# SKU: (Ukrainian description, English description)
DESCRIPTIONS = {
    "KR-KIT-001": (
        "Глиняний горщик ручної роботи для печені та запеченої каші в духовці.",
        "Hand-thrown clay pot for oven stews and baked porridge.",
    ),
    "KR-KIT-002": (
        "Глибока емальована каструля зі скляною кришкою — борщу вистачить на всю родину.",
        "Deep enamel pot with a glass lid, big enough for a family's borshch.",
    ),
    "KR-KIT-003": (
        "Чавун, уже підготовлений до роботи: з плити — одразу в духовку.",
        "Pre-seasoned cast iron that goes from the stove into the oven.",
    ),
    "KR-KIT-004": (
        "37 вареників за раз: вечір вареників без ліплення кожного вручну.",
        "Makes 37 varenyky at once; dumpling night without the pinching.",
    ),
    "KR-KIT-005": (
        "Букова дошка з петриківськими квітами, розписаними вручну на звороті.",
        "Beech board with hand-painted Petrykivka flowers on the back.",
    ),
    "KR-KIT-006": (
        "Різьблені яворові ложки й лопатки з Карпат.",
        "Carved sycamore spoons and spatulas from the Carpathians.",
    ),
    "KR-KIT-007": ("Ковані сталеві ножі в дубовій підставці.", "Forged steel knives in an oak block."),
    "KR-KIT-008": (
        "Суцільний черпак із носиком для переливання та гачком, щоб повісити.",
        "One-piece ladle with a pouring lip and a hanging hook.",
    ),
    "KR-KIT-009": (
        "Ротанговий кошик для круглих житніх хлібин, з лляним вкладишем.",
        "Rattan banneton for round rye loaves, with a linen liner.",
    ),
    "KR-KIT-010": (
        "Розрізає кавун на рівні скибки одним натиском.",
        "Cuts a watermelon into even wedges in one press.",
    ),
    "KR-KIT-011": (
        "Вставка з нержавійної сталі для каструль від 18 до 24 см.",
        "Stainless steamer basket that fits pots from 18 to 24 cm.",
    ),
    "KR-KIT-012": (
        "Пара млинків із керамічними жорнами в корпусі бурштинового кольору.",
        "A pair of ceramic-burr mills with amber-coloured acrylic bodies.",
    ),
    "KR-KIT-013": (
        "Пече чотири тонкі віденські вафлі за раз; антипригарні пластини.",
        "Makes four thin Viennese waffles at a time; non-stick plates.",
    ),
    "KR-TEA-001": (
        "Конічні сталеві жорна, 40 ступенів помелу — для справжньої львівської кави.",
        "Conical steel burrs, 40 grind settings, for a proper Lviv cup.",
    ),
    "KR-TEA-002": (
        "Глазурована чашка з гончарного селища Опішня.",
        "Glazed mug from the pottery village of Opishnia.",
    ),
    "KR-TEA-003": (
        "Гірський чебрець, м'ята й липовий цвіт, 100 г.",
        "Mountain thyme, mint and linden blossom, 100 g.",
    ),
    "KR-TEA-004": (
        "Скляна банка з буковою ложкою для меду; мед не входить у комплект.",
        "Glass jar with a beech dipper; honey not included.",
    ),
    "KR-TEA-005": (
        "Тримає чай гарячим 24 години — навіть у найдовшій дорозі потягом.",
        "Keeps tea hot for 24 hours on the longest train ride.",
    ),
    "KR-HOM-001": (
        "Щільна ковдра з овечої вовни, виткана за гуцульською традицією.",
        "Thick sheep-wool blanket woven in the Hutsul tradition.",
    ),
    "KR-HOM-002": (
        "Пом'якшений льон сіро-морського кольору — для довгих літніх вечер.",
        "Stonewashed linen in sea-grey, for long summer dinners.",
    ),
    "KR-HOM-003": (
        "Бавовняні рушники з червоно-чорною вишиванковою облямівкою.",
        "Cotton towels with red-and-black vyshyvanka borders.",
    ),
    "KR-HOM-004": (
        "Воскові свічки, скручені вручну; пахнуть медом.",
        "Hand-rolled beeswax candles that smell of honey.",
    ),
    "KR-HOM-005": (
        "Валяні капці зі шкіряною підошвою, розміри від 36 до 46.",
        "Felted slippers with leather soles, sizes 36 to 46.",
    ),
    "KR-HOM-006": (
        "Лляний фартух із глибокою кишенею та регульованими лямками.",
        "Linen apron with a deep pocket and adjustable straps.",
    ),
    "KR-GAD-001": (
        "Чайник із боросилікатного скла, з блакитним підсвічуванням та автовимкненням.",
        "Borosilicate glass kettle with a blue light and auto shut-off.",
    ),
    "KR-GAD-002": (
        "Зарядить телефон п'ять разів; вхід і вихід USB-C.",
        "Charges a phone five times over; USB-C in and out.",
    ),
    "KR-GAD-003": (
        "GaN-зарядка для ноутбука й телефона одночасно.",
        "GaN charger for a laptop and a phone at once.",
    ),
    "KR-GAD-004": (
        "Колонка із захистом від бризок, 12 годин відтворення.",
        "Splash-proof speaker with 12 hours of play.",
    ),
    "KR-GAD-005": (
        "Регульовані яскравість і відтінок білого, керування з телефона.",
        "Dimmable, warm-to-cool white, works with a phone app.",
    ),
    "KR-GAD-006": (
        "Працює 8 годин від акумулятора, коли вимикають світло.",
        "Runs 8 hours on battery when the power goes out.",
    ),
}
# No longer sold: shoppers must not see it, staff still can.
INACTIVE_SKUS = {"KR-GAD-006"}
