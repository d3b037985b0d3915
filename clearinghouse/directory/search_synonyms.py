"""The everyday words families type, each mapped to the data it means in the NDPA Exhibit B schedule.

A parent searches "health", "allergies" or "salud", not "Medical alerts / health data". Each group
below names its targets (an element of `taxonomy.TAXONOMY` by its category and English name, or a
whole category) and the words, in English and in Spanish, that stand for them. A search word that
is one of these words also finds every product that receives a target: the search index keeps the
names of the data each product receives (migration 20261126_search_data), and `search.search_hits`
adds the targets' names to the word as alternatives. The words are never product names, and a
test checks that every target is in the taxonomy.

Words are matched whole, after folding case and accents ("MÉDICO" is "medico"); list each plural
or spelling a family would type. One word may appear in several groups: it finds them all.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A data category of the taxonomy, or one element of it when `element` is given."""

    category: str
    element: str | None = None

    @property
    def name(self) -> str:
        return self.element or self.category


@dataclass(frozen=True)
class Synonyms:
    targets: tuple[Target, ...]
    english: tuple[str, ...]
    spanish: tuple[str, ...]


def element(category: str, name: str) -> Target:
    return Target(category, name)


def category(name: str) -> Target:
    return Target(name)


HEALTH = element("Special Indicator", "Medical alerts / health data")
DISABILITY = element("Special Indicator", "Student disability information")
SPECIAL_EDUCATION = element("Special Indicator", "Specialized education services (IEP or 504)")
STUDENT_ADDRESS = element("Student Contact Information", "Address")
PARENT_ADDRESS = element("Parent/Guardian Contact Information", "Address")
PICK_UP = element("Transportation", "Student pick-up and/or drop-off location")
COURSE_GRADES = element("Transcript", "Student course grades")
COURSE_SCORES = element("Transcript", "Student course grades / performance scores")
TEST_SCORES = element("Assessment", "Standardized test scores")
STUDENT_WORK = element("Student Work", "Student-generated content (writing, pictures, etc.)")

GROUPS: tuple[Synonyms, ...] = (
    Synonyms(
        (HEALTH,),
        (
            "health",
            "medical",
            "allergies",
            "allergy",
            "allergic",
            "medication",
            "medications",
            "medicine",
            "medicines",
            "asthma",
            "diabetes",
            "epilepsy",
            "seizures",
            "illness",
            "illnesses",
            "conditions",
            "nurse",
            "immunizations",
            "vaccinations",
            "vaccines",
        ),
        (
            "salud",
            "médico",
            "médica",
            "médicos",
            "médicas",
            "alergias",
            "alergia",
            "alérgico",
            "medicamentos",
            "medicamento",
            "medicinas",
            "medicina",
            "asma",
            "epilepsia",
            "enfermedad",
            "enfermedades",
            "enfermera",
            "vacunas",
        ),
    ),
    Synonyms(
        (DISABILITY, SPECIAL_EDUCATION),
        (
            "disability",
            "disabilities",
            "disabled",
            "iep",
            "504",
            "accommodations",
            "sped",
            "autism",
            "adhd",
            "dyslexia",
            "handicap",
        ),
        ("discapacidad", "discapacidades", "adaptaciones", "autismo", "dislexia", "tdah"),
    ),
    Synonyms(
        (COURSE_GRADES, COURSE_SCORES, category("Transcript")),
        ("grades", "marks", "gpa", "transcript", "transcripts"),
        ("calificaciones", "notas", "boleta", "boletas", "boletín", "expediente", "historial"),
    ),
    Synonyms(
        (TEST_SCORES, COURSE_SCORES, category("Assessment")),
        ("scores", "score", "tests", "testing", "exams", "exam"),
        ("puntajes", "puntaje", "puntuaciones", "pruebas", "exámenes", "examen"),
    ),
    Synonyms(
        (STUDENT_WORK,),
        (
            "photos",
            "photo",
            "photographs",
            "pictures",
            "picture",
            "images",
            "image",
            "videos",
            "video",
            "recordings",
            "voice",
            "audio",
            "drawings",
            "artwork",
        ),
        ("fotos", "foto", "fotografías", "imágenes", "imagen", "vídeos", "grabaciones", "voz", "dibujos"),
    ),
    Synonyms(
        (category("Student Work"),),
        ("homework", "essays", "assignments", "projects"),
        ("tareas", "trabajos", "redacciones", "ensayos", "proyectos"),
    ),
    Synonyms(
        (PICK_UP, STUDENT_ADDRESS, PARENT_ADDRESS),
        ("location", "locations", "gps", "whereabouts", "geolocation"),
        ("ubicación", "ubicaciones", "localización", "paradero"),
    ),
    Synonyms(
        (STUDENT_ADDRESS, PARENT_ADDRESS),
        ("address", "addresses", "street"),
        ("dirección", "direcciones", "domicilio", "calle"),
    ),
    Synonyms(
        (category("Conduct"),),
        (
            "behavior",
            "behaviour",
            "behavioral",
            "conduct",
            "discipline",
            "disciplinary",
            "suspension",
            "suspensions",
            "detention",
            "incidents",
        ),
        ("conducta", "comportamiento", "disciplina", "suspensión", "suspensiones", "castigo", "incidentes"),
    ),
    Synonyms(
        (category("Attendance"),),
        ("attendance", "absences", "absent", "tardies", "tardy", "truancy"),
        ("asistencia", "ausencias", "faltas", "inasistencias", "retardos"),
    ),
    Synonyms(
        (element("Demographics", "Date of birth"), element("Demographics", "Place of birth")),
        ("birthday", "birthdate", "dob", "birth", "age", "born"),
        ("cumpleaños", "nacimiento", "edad"),
    ),
    Synonyms(
        (element("Demographics", "Ethnicity or race"),),
        ("race", "ethnicity", "ethnic", "hispanic", "latino"),
        ("raza", "etnia", "étnico"),
    ),
    Synonyms(
        (element("Demographics", "Gender"),),
        ("gender", "sex"),
        ("género", "sexo"),
    ),
    Synonyms(
        (
            element("Demographics", "Language information (native or primary language spoken by the student)"),
            element("Special Indicator", "English language learner information"),
        ),
        ("language", "languages", "ell", "esl", "bilingual"),
        ("idioma", "idiomas", "lengua", "bilingüe"),
    ),
    Synonyms(
        (element("Special Indicator", "Low income status"),),
        ("income", "poverty", "lunch", "meals", "frl"),
        ("ingresos", "pobreza", "almuerzo", "comida", "comidas"),
    ),
    Synonyms(
        (element("Special Indicator", "Living situations (homeless / foster care)"),),
        ("homeless", "homelessness", "foster", "housing", "shelter"),
        ("vivienda", "albergue", "acogida", "crianza"),
    ),
    Synonyms(
        (
            element("Student Identifiers", "Student app passwords"),
            element("Student Identifiers", "Student app username"),
        ),
        ("password", "passwords", "login", "username", "logins"),
        ("contraseña", "contraseñas", "usuario"),
    ),
    Synonyms(
        (category("Student Identifiers"),),
        ("id", "ids", "identifier", "identifiers"),
        ("identificación", "identificador", "matrícula"),
    ),
    Synonyms(
        (category("Student Contact Information"), category("Parent/Guardian Contact Information")),
        ("contact", "phone", "phones", "telephone", "cell", "email", "emails"),
        ("contacto", "teléfono", "teléfonos", "celular", "correo", "correos"),
    ),
    Synonyms(
        (
            category("Parent/Guardian Name"),
            category("Parent/Guardian ID"),
            category("Parent/Guardian Contact Information"),
        ),
        ("parent", "parents", "guardian", "guardians", "family", "families", "mother", "father"),
        ("padres", "padre", "madre", "tutor", "tutores", "familia", "familias"),
    ),
    Synonyms(
        (category("Student Name"), category("Parent/Guardian Name")),
        ("name", "names", "surname"),
        ("nombre", "nombres", "apellido", "apellidos"),
    ),
    Synonyms(
        (category("Communications"),),
        ("messages", "message", "chat", "chats", "posts", "comments"),
        ("mensajes", "mensaje", "charlas", "publicaciones", "comentarios"),
    ),
    Synonyms(
        (category("Student Survey Responses"),),
        ("survey", "surveys", "questionnaire", "questionnaires", "wellbeing", "feelings", "mental"),
        ("encuesta", "encuestas", "cuestionario", "cuestionarios", "bienestar", "emociones"),
    ),
    Synonyms(
        (category("Schedule"),),
        ("schedule", "schedules", "classes", "courses", "teachers", "timetable"),
        ("horario", "horarios", "clases", "cursos", "maestros", "profesores"),
    ),
    Synonyms(
        (category("Application Technology Meta Data"), category("Application Use Statistics")),
        ("tracking", "cookies", "device", "devices", "browsing", "usage", "clicks", "ip", "metadata"),
        ("rastreo", "seguimiento", "dispositivo", "dispositivos", "navegación", "clics", "metadatos"),
    ),
    Synonyms(
        (category("Student In-App Performance"),),
        ("progress", "level", "levels", "performance"),
        ("progreso", "nivel", "niveles", "desempeño", "rendimiento"),
    ),
    Synonyms(
        (category("Student Program Membership"),),
        ("clubs", "club", "sports", "teams", "extracurricular", "activities"),
        ("clubes", "deportes", "equipos", "extracurriculares", "actividades"),
    ),
    Synonyms(
        (category("Transportation"),),
        ("bus", "buses", "transportation", "ride", "route"),
        ("autobús", "autobuses", "camión", "transporte", "ruta"),
    ),
    Synonyms(
        (category("Enrollment"),),
        ("enrollment", "enrolment", "homeroom", "counselor", "graduation"),
        ("inscripción", "consejero", "orientador", "graduación"),
    ),
)
