"""The NDPA Exhibit B schedule of data in the site's other languages, seeded with it.

{language: {category name: (translated name, {element name: (translated name, translated description)})}},
keyed by the English names in `taxonomy.TAXONOMY`. The Spanish follows the plain words a family
uses; staff may change any of it on the data element form, and seeding never overwrites a
translation that is already there.
"""

Names = tuple[str, dict[str, tuple[str, str]]]

SPANISH: dict[str, Names] = {
    "Application Technology Meta Data": (
        "Metadatos técnicos de la aplicación",
        {
            "IP addresses of users, use of cookies, etc.": (
                "Direcciones IP de los usuarios, uso de cookies, etc.",
                "La dirección de red del dispositivo que usa el estudiante y las cookies que "
                "la aplicación guarda en el navegador.",
            ),
            "Other application technology metadata": (
                "Otros metadatos técnicos de la aplicación",
                "Otros detalles técnicos del dispositivo o del navegador, como su tipo o su sistema operativo.",
            ),
        },
    ),
    "Application Use Statistics": (
        "Estadísticas de uso de la aplicación",
        {
            "Metadata on user interaction with the application": (
                "Metadatos sobre cómo el usuario usa la aplicación",
                "Qué páginas o funciones abre un estudiante, cuándo y durante cuánto tiempo.",
            ),
        },
    ),
    "Assessment": (
        "Evaluación",
        {
            "Standardized test scores": (
                "Resultados de pruebas estandarizadas",
                "Resultados de pruebas estatales o nacionales, como las pruebas anuales de lectura.",
            ),
            "Observation data": (
                "Datos de observación",
                "Notas que toma un maestro mientras observa a un estudiante trabajar o leer.",
            ),
            "Other assessment data": (
                "Otros datos de evaluación",
                "Resultados de otras pruebas, cuestionarios o evaluaciones breves.",
            ),
        },
    ),
    "Attendance": (
        "Asistencia",
        {
            "Student school (daily) attendance data": (
                "Asistencia diaria a la escuela",
                "Si un estudiante estuvo en la escuela un día determinado.",
            ),
            "Student class attendance data": (
                "Asistencia a clase",
                "Si un estudiante estuvo presente en un período de clase determinado.",
            ),
        },
    ),
    "Communications": (
        "Comunicaciones",
        {
            "Online communications captured (emails, blog entries)": (
                "Comunicaciones en línea registradas (correos electrónicos, entradas de blog)",
                "Mensajes, correos electrónicos, publicaciones o comentarios que un "
                "estudiante escribe dentro del servicio.",
            ),
        },
    ),
    "Conduct": (
        "Conducta",
        {
            "Conduct or behavioral data": (
                "Datos de conducta o comportamiento",
                "Registros del comportamiento, la disciplina o los incidentes de un estudiante.",
            ),
        },
    ),
    "Demographics": (
        "Datos demográficos",
        {
            "Date of birth": ("Fecha de nacimiento", "El cumpleaños del estudiante."),
            "Place of birth": ("Lugar de nacimiento", "La ciudad o el país donde nació el estudiante."),
            "Gender": ("Género", "El género del estudiante según los registros del distrito."),
            "Ethnicity or race": (
                "Origen étnico o raza",
                "El origen étnico o la raza del estudiante según los registros del distrito.",
            ),
            "Language information (native or primary language spoken by the student)": (
                "Idioma (idioma materno o principal del estudiante)",
                "El idioma que el estudiante habla en casa o que aprendió primero.",
            ),
            "Other demographic information": (
                "Otros datos demográficos",
                "Otras características personales que registra el distrito.",
            ),
        },
    ),
    "Enrollment": (
        "Matrícula",
        {
            "Student school enrollment": (
                "Escuela en la que está matriculado",
                "La escuela a la que asiste el estudiante.",
            ),
            "Student grade level": ("Grado del estudiante", "El grado del estudiante, como kínder o 7.º grado."),
            "Homeroom": ("Salón principal", "El salón principal o grupo de tutoría del estudiante."),
            "Guidance counselor": ("Consejero escolar", "El nombre del consejero escolar del estudiante."),
            "Specific curriculum programs": (
                "Programas de estudio específicos",
                "Programas especiales en los que participa el estudiante, como un programa magnet.",
            ),
            "Year of graduation": ("Año de graduación", "El año en que se espera que el estudiante se gradúe."),
            "Other enrollment information": (
                "Otros datos de matrícula",
                "Otros detalles de la matrícula del estudiante.",
            ),
        },
    ),
    "Parent/Guardian Contact Information": (
        "Datos de contacto del padre, la madre o el tutor",
        {
            "Address": ("Dirección", "La dirección del domicilio del padre, la madre o el tutor."),
            "Email": ("Correo electrónico", "El correo electrónico del padre, la madre o el tutor."),
            "Phone": ("Teléfono", "El número de teléfono del padre, la madre o el tutor."),
        },
    ),
    "Parent/Guardian ID": (
        "Identificación del padre, la madre o el tutor",
        {
            "Parent ID number (created to link parents to students)": (
                "Número de identificación del padre o la madre (creado para vincularlos con sus hijos)",
                "Un número que crea el sistema para conectar la cuenta del padre o la madre con la de su hijo.",
            ),
        },
    ),
    "Parent/Guardian Name": (
        "Nombre del padre, la madre o el tutor",
        {"First and/or last": ("Nombre o apellido", "El nombre o el apellido del padre, la madre o el tutor.")},
    ),
    "Schedule": (
        "Horario",
        {
            "Student scheduled courses": (
                "Clases del horario del estudiante",
                "Las clases que figuran en el horario del estudiante.",
            ),
            "Teacher names": ("Nombres de los maestros", "Los nombres de los maestros del estudiante."),
        },
    ),
    "Special Indicator": (
        "Indicadores especiales",
        {
            "English language learner information": (
                "Información de estudiante de inglés",
                "Si el estudiante está aprendiendo inglés, y su nivel.",
            ),
            "Low income status": (
                "Situación de bajos ingresos",
                "Si la familia del estudiante tiene bajos ingresos, por ejemplo si tiene derecho "
                "a almuerzo gratuito o a precio reducido.",
            ),
            "Medical alerts / health data": (
                "Alertas médicas / datos de salud",
                "Alergias, enfermedades u otra información de salud.",
            ),
            "Student disability information": (
                "Información sobre discapacidad",
                "Si el estudiante tiene una discapacidad, y cuál.",
            ),
            "Specialized education services (IEP or 504)": (
                "Servicios de educación especial (IEP o 504)",
                "Planes de educación especial o de adaptaciones (un IEP o un plan de la Sección 504).",
            ),
            "Living situations (homeless / foster care)": (
                "Situación de vivienda (sin hogar / cuidado de crianza)",
                "Si el estudiante no tiene hogar o está en cuidado de crianza (foster care).",
            ),
            "Other indicator information": (
                "Otros indicadores",
                "Otras marcas sensibles que el distrito guarda sobre un estudiante.",
            ),
        },
    ),
    "Student Contact Information": (
        "Datos de contacto del estudiante",
        {
            "Address": ("Dirección", "La dirección del domicilio del estudiante."),
            "Email": ("Correo electrónico", "El correo electrónico del estudiante."),
            "Phone": ("Teléfono", "El número de teléfono del estudiante."),
        },
    ),
    "Student Identifiers": (
        "Identificadores del estudiante",
        {
            "Local (school district) ID number": (
                "Número de identificación local (del distrito escolar)",
                "El número de estudiante que asigna el distrito.",
            ),
            "State ID number": ("Número de identificación estatal", "El número de estudiante que asigna el estado."),
            "Provider/app-assigned student ID number": (
                "Número de estudiante asignado por el proveedor o la aplicación",
                "Un número que el propio servicio le da al estudiante.",
            ),
            "Student app username": (
                "Nombre de usuario del estudiante en la aplicación",
                "El nombre que usa el estudiante para iniciar sesión en el servicio.",
            ),
            "Student app passwords": (
                "Contraseñas del estudiante en la aplicación",
                "La contraseña que usa el estudiante para iniciar sesión en el servicio.",
            ),
        },
    ),
    "Student Name": (
        "Nombre del estudiante",
        {"First and/or last": ("Nombre o apellido", "El nombre o el apellido del estudiante.")},
    ),
    "Student In-App Performance": (
        "Desempeño del estudiante en la aplicación",
        {
            "Program/application performance (e.g. typing speed, reading level)": (
                "Desempeño en el programa o la aplicación (por ejemplo, velocidad de escritura o nivel de lectura)",
                "Cómo le va al estudiante dentro del servicio: puntuaciones, niveles o progreso.",
            ),
        },
    ),
    "Student Program Membership": (
        "Participación en programas",
        {
            "Academic or extracurricular activities a student may belong to or participate in": (
                "Actividades académicas o extracurriculares en las que participa el estudiante",
                "Clubes, equipos o programas académicos en los que participa el estudiante.",
            ),
        },
    ),
    "Student Survey Responses": (
        "Respuestas del estudiante a encuestas",
        {
            "Student responses to surveys or questionnaires": (
                "Respuestas del estudiante a encuestas o cuestionarios",
                "Las respuestas que da un estudiante en encuestas, por ejemplo sobre su "
                "bienestar o el ambiente escolar.",
            ),
        },
    ),
    "Student Work": (
        "Trabajos del estudiante",
        {
            "Student-generated content (writing, pictures, etc.)": (
                "Contenido creado por el estudiante (textos, imágenes, etc.)",
                "Lo que crea el estudiante: redacciones, dibujos, grabaciones, proyectos.",
            ),
            "Other student work data": (
                "Otros trabajos del estudiante",
                "Otros trabajos que el estudiante entrega o crea.",
            ),
        },
    ),
    "Transcript": (
        "Expediente académico",
        {
            "Student course grades": (
                "Calificaciones de las materias",
                "Las calificaciones que recibe un estudiante en sus materias.",
            ),
            "Student course data": ("Datos de las materias", "Qué materias cursó un estudiante, y cuándo."),
            "Student course grades / performance scores": (
                "Calificaciones / puntuaciones dentro de una materia",
                "Puntuaciones o notas dentro de una materia.",
            ),
            "Other transcript data": (
                "Otros datos del expediente académico",
                "Otras partes del expediente académico del estudiante.",
            ),
        },
    ),
    "Transportation": (
        "Transporte",
        {
            "Student bus assignment": ("Autobús asignado", "En qué autobús o ruta viaja el estudiante."),
            "Student pick-up and/or drop-off location": (
                "Lugar donde se recoge o se deja al estudiante",
                "Dónde el autobús recoge o deja al estudiante.",
            ),
            "Student bus card ID number": (
                "Número de la tarjeta de autobús",
                "El número de la tarjeta que el estudiante pasa al subir al autobús.",
            ),
            "Other transportation data": (
                "Otros datos de transporte",
                "Otros detalles de cómo el estudiante va y vuelve de la escuela.",
            ),
        },
    ),
    "Other": ("Otros", {}),
}

TRANSLATIONS: dict[str, dict[str, Names]] = {"es": SPANISH}
