// One-click example texts, software-message style like the gettext catalogs
// the reference model learned from.

export const examples = [
  { name: "English", text: "The file could not be opened because it does not exist." },
  { name: "French", text: "Impossible d'ouvrir le fichier car il n'existe pas." },
  { name: "German", text: "Die Datei konnte nicht geöffnet werden, weil sie nicht existiert." },
  { name: "Spanish", text: "No se pudo abrir el archivo porque no existe." },
  { name: "Italian", text: "Impossibile aprire il file perché non esiste." },
  { name: "Portuguese", text: "Não foi possível salvar as alterações no arquivo." },
  { name: "Dutch", text: "Het bestand kon niet worden geopend omdat het niet bestaat." },
  { name: "Polish", text: "Nie można otworzyć pliku, ponieważ nie istnieje." },
  { name: "Swedish", text: "Filen kunde inte öppnas eftersom den inte finns." },
  { name: "Czech", text: "Soubor nelze otevřít, protože neexistuje." },
  { name: "Russian", text: "Не удалось открыть файл, так как он не существует." },
  { name: "Finnish", text: "Tiedostoa ei voitu avata, koska sitä ei ole olemassa." },
  { name: "Turkish", text: "Dosya mevcut olmadığı için açılamadı." },
  { name: "Japanese", text: "ファイルが存在しないため開けませんでした。" },
  { name: "Chinese", text: "无法打开文件，因为它不存在。" },
  { name: "Korean", text: "파일이 존재하지 않아 열 수 없습니다." },
];
