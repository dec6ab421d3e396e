"""The label taxonomy: names, parents, categories and aliases of DetectLabels labels.

These are facts we write, modelled on how Rekognition names and nests its labels
(``Car`` has parents ``Vehicle`` and ``Transportation``; ``Face`` has ``Head`` and
``Person``; parents are every ancestor, listed alphabetically; ancestors are returned
as labels too). They cover what Sightline's models can see: people, faces, text, the
gender cue of NudeNet's face classes, and the 80 COCO classes of a catalog detector.
A class this table does not know keeps its model's name, title-cased, with no parents
and no category, rather than a guessed place in the tree.

Each row: label | its immediate parents (comma-separated) | its category | its aliases
(comma-separated).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

_ROWS = """
Person              |                                   | Person Description        | Human
Head                | Person                            | Person Description        |
Face                | Head,Person                       | Person Description        |
Female              | Person                            | Person Description        |
Male                | Person                            | Person Description        |
Text                |                                   | Text and Documents        |
Transportation      |                                   | Vehicles and Automotive   |
Vehicle             | Transportation                    | Vehicles and Automotive   |
Bicycle             | Vehicle                           | Vehicles and Automotive   | Bike
Car                 | Vehicle                           | Vehicles and Automotive   | Automobile
Motorcycle          | Vehicle                           | Vehicles and Automotive   | Motorbike
Aircraft            | Vehicle                           | Vehicles and Automotive   |
Airplane            | Aircraft                          | Vehicles and Automotive   | Aeroplane
Bus                 | Vehicle                           | Vehicles and Automotive   |
Train               | Vehicle                           | Vehicles and Automotive   |
Truck               | Vehicle                           | Vehicles and Automotive   | Lorry
Watercraft          | Vehicle                           | Vehicles and Automotive   |
Boat                | Watercraft                        | Vehicles and Automotive   |
Light               |                                   | Everyday Objects          |
Traffic Light       | Light                             | Public Safety             |
Fire Hydrant        |                                   | Public Safety             | Hydrant
Symbol              |                                   | Text and Documents        |
Sign                | Symbol                            | Text and Documents        |
Road Sign           | Sign                              | Public Safety             |
Stop Sign           | Road Sign                         | Public Safety             |
Parking Meter       |                                   | Transport and Logistics   |
Furniture           |                                   | Furniture and Furnishings |
Bench               | Furniture                         | Furniture and Furnishings |
Chair               | Furniture                         | Furniture and Furnishings |
Couch               | Furniture                         | Furniture and Furnishings | Sofa
Bed                 | Furniture                         | Furniture and Furnishings |
Table               | Furniture                         | Furniture and Furnishings |
Dining Table        | Table                             | Furniture and Furnishings |
Animal              |                                   | Animals and Pets          |
Pet                 | Animal                            | Animals and Pets          |
Mammal              | Animal                            | Animals and Pets          |
Wildlife            | Animal                            | Animals and Pets          |
Livestock           | Animal                            | Animals and Pets          |
Bird                | Animal                            | Animals and Pets          |
Cat                 | Mammal,Pet                        | Animals and Pets          | Kitty
Canine              | Mammal                            | Animals and Pets          |
Dog                 | Canine,Pet                        | Animals and Pets          |
Horse               | Mammal                            | Animals and Pets          |
Sheep               | Livestock,Mammal                   | Animals and Pets          |
Cow                 | Livestock,Mammal                   | Animals and Pets          | Cattle
Elephant            | Mammal,Wildlife                   | Animals and Pets          |
Bear                | Mammal,Wildlife                   | Animals and Pets          |
Zebra               | Mammal,Wildlife                   | Animals and Pets          |
Giraffe             | Mammal,Wildlife                   | Animals and Pets          |
Accessories         |                                   | Apparel and Accessories   |
Bag                 | Accessories                       | Apparel and Accessories   |
Backpack            | Bag                               | Apparel and Accessories   |
Handbag             | Bag                               | Apparel and Accessories   | Purse
Luggage             | Bag                               | Apparel and Accessories   |
Suitcase            | Luggage                           | Apparel and Accessories   |
Tie                 | Accessories                       | Apparel and Accessories   | Necktie
Umbrella            |                                   | Everyday Objects          |
Toy                 |                                   | Toys and Gaming           |
Frisbee             | Toy                               | Toys and Gaming           |
Kite                | Toy                               | Toys and Gaming           |
Teddy Bear          | Toy                               | Toys and Gaming           |
Sports Equipment    |                                   | Sports                    |
Ski                 | Sports Equipment                  | Sports                    |
Snowboard           | Sports Equipment                  | Sports                    |
Ball                | Sports Equipment                  | Sports                    |
Baseball Bat        | Sports Equipment                  | Sports                    |
Baseball Glove      | Sports Equipment                  | Sports                    |
Skateboard          | Sports Equipment                  | Sports                    |
Surfboard           | Sports Equipment                  | Sports                    |
Racket              | Sports Equipment                  | Sports                    | Tennis Racket
Bottle              |                                   | Kitchen and Dining        |
Glass               |                                   | Kitchen and Dining        |
Wine Glass          | Glass                             | Kitchen and Dining        |
Cup                 |                                   | Kitchen and Dining        |
Cutlery             |                                   | Kitchen and Dining        |
Fork                | Cutlery                           | Kitchen and Dining        |
Knife               | Cutlery                           | Kitchen and Dining        |
Spoon               | Cutlery                           | Kitchen and Dining        |
Bowl                |                                   | Kitchen and Dining        |
Food                |                                   | Food and Beverage         |
Fruit               | Food                              | Food and Beverage         |
Vegetable           | Food                              | Food and Beverage         |
Dessert             | Food                              | Food and Beverage         |
Banana              | Fruit                             | Food and Beverage         |
Apple               | Fruit                             | Food and Beverage         |
Orange              | Fruit                             | Food and Beverage         |
Broccoli            | Vegetable                         | Food and Beverage         |
Carrot              | Vegetable                         | Food and Beverage         |
Sandwich            | Food                              | Food and Beverage         |
Hot Dog             | Food                              | Food and Beverage         |
Pizza               | Food                              | Food and Beverage         |
Donut               | Dessert                           | Food and Beverage         | Doughnut
Cake                | Dessert                           | Food and Beverage         |
Plant               |                                   | Plants and Flowers        |
Potted Plant        | Plant                             | Plants and Flowers        | Houseplant
Toilet              |                                   | Home and Indoors          |
Sink                |                                   | Home and Indoors          |
Electronics         |                                   | Technology and Computing  |
Screen              | Electronics                       | Technology and Computing  |
TV                  | Electronics,Screen                | Technology and Computing  | Television
Computer            | Electronics                       | Technology and Computing  |
Laptop              | Computer                          | Technology and Computing  |
Computer Hardware   | Electronics                       | Technology and Computing  |
Mouse               | Computer Hardware                 | Technology and Computing  | Computer Mouse
Keyboard            | Computer Hardware                 | Technology and Computing  |
Remote Control      | Electronics                       | Technology and Computing  | Remote
Phone               | Electronics                       | Technology and Computing  |
Mobile Phone        | Phone                             | Technology and Computing  | Cell Phone
Appliance           |                                   | Home and Indoors          |
Microwave           | Appliance                         | Kitchen and Dining        |
Oven                | Appliance                         | Kitchen and Dining        |
Toaster             | Appliance                         | Kitchen and Dining        |
Refrigerator        | Appliance                         | Kitchen and Dining        | Fridge
Hair Dryer          | Appliance                         | Beauty and Personal Care  | Blow Dryer
Book                |                                   | Text and Documents        |
Clock               |                                   | Everyday Objects          |
Vase                |                                   | Home and Indoors          |
Scissors            |                                   | Everyday Objects          |
Toothbrush          |                                   | Beauty and Personal Care  |"""

# COCO's class names (as in the catalog's coco80 label set) -> our label names.
COCO_LABELS: dict[str, str] = {
    "person": "Person", "bicycle": "Bicycle", "car": "Car", "motorcycle": "Motorcycle",
    "airplane": "Airplane", "bus": "Bus", "train": "Train", "truck": "Truck", "boat": "Boat",
    "traffic light": "Traffic Light", "fire hydrant": "Fire Hydrant", "stop sign": "Stop Sign",
    "parking meter": "Parking Meter", "bench": "Bench", "bird": "Bird", "cat": "Cat",
    "dog": "Dog", "horse": "Horse", "sheep": "Sheep", "cow": "Cow", "elephant": "Elephant",
    "bear": "Bear", "zebra": "Zebra", "giraffe": "Giraffe", "backpack": "Backpack",
    "umbrella": "Umbrella", "handbag": "Handbag", "tie": "Tie", "suitcase": "Suitcase",
    "frisbee": "Frisbee", "skis": "Ski", "snowboard": "Snowboard", "sports ball": "Ball",
    "kite": "Kite", "baseball bat": "Baseball Bat", "baseball glove": "Baseball Glove",
    "skateboard": "Skateboard", "surfboard": "Surfboard", "tennis racket": "Racket",
    "bottle": "Bottle", "wine glass": "Wine Glass", "cup": "Cup", "fork": "Fork",
    "knife": "Knife", "spoon": "Spoon", "bowl": "Bowl", "banana": "Banana", "apple": "Apple",
    "sandwich": "Sandwich", "orange": "Orange", "broccoli": "Broccoli", "carrot": "Carrot",
    "hot dog": "Hot Dog", "pizza": "Pizza", "donut": "Donut", "cake": "Cake", "chair": "Chair",
    "couch": "Couch", "potted plant": "Potted Plant", "bed": "Bed",
    "dining table": "Dining Table", "toilet": "Toilet", "tv": "TV", "laptop": "Laptop",
    "mouse": "Mouse", "remote": "Remote Control", "keyboard": "Keyboard",
    "cell phone": "Mobile Phone", "microwave": "Microwave", "oven": "Oven",
    "toaster": "Toaster", "sink": "Sink", "refrigerator": "Refrigerator", "book": "Book",
    "clock": "Clock", "vase": "Vase", "scissors": "Scissors", "teddy bear": "Teddy Bear",
    "hair drier": "Hair Dryer", "toothbrush": "Toothbrush",
}  # fmt: skip


@dataclass(frozen=True)
class LabelFacts:
    """Where a label sits: every ancestor (alphabetical), categories, aliases."""

    name: str
    parents: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """Label -> (immediate parents, categories, aliases), parsed from :data:`_ROWS`."""

    def names(text: str) -> tuple[str, ...]:
        return tuple(n.strip() for n in text.split(",") if n.strip())

    table = {}
    for line in _ROWS.strip().splitlines():
        name, parents, category, aliases = (part.strip() for part in line.split("|"))
        table[name] = (names(parents), names(category), names(aliases))
    return table


def known(name: str) -> bool:
    """Whether ``name`` is a label of the taxonomy."""
    return name in _table()


def facts(name: str) -> LabelFacts:
    """The place of ``name`` in the taxonomy; an unknown label stands alone."""
    entry = _table().get(name)
    if entry is None:
        return LabelFacts(name)
    _, categories, aliases = entry
    return LabelFacts(name, ancestors(name), categories, aliases)


@lru_cache(maxsize=512)
def ancestors(name: str) -> tuple[str, ...]:
    """Every ancestor of ``name`` (parents, their parents, ...), alphabetically."""
    found: set[str] = set()
    todo = list(_table().get(name, ((), (), ()))[0])
    while todo:
        parent = todo.pop()
        if parent not in found:
            found.add(parent)
            todo.extend(_table().get(parent, ((), (), ()))[0])
    return tuple(sorted(found))


def label_name(model_label: str) -> str:
    """Our label for a model's class name: COCO names mapped, others title-cased."""
    mapped = COCO_LABELS.get(model_label.strip().lower())
    if mapped is not None:
        return mapped
    words = model_label.replace("_", " ").split()
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in words)
