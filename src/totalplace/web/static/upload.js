// Progress for large uploads: send the form with XMLHttpRequest and show how much has gone.
// Without JavaScript the form posts as usual.
const form = document.getElementById('upload-form')
const box = document.getElementById('upload-progress')
const bar = document.getElementById('upload-bar')
const percent = document.getElementById('upload-percent')
if (form && window.XMLHttpRequest && window.FormData) {
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const request = new XMLHttpRequest()
    request.open('POST', form.action)
    box.hidden = false
    request.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) {
        bar.value = Math.round(100 * e.loaded / e.total)
        percent.textContent = bar.value + '%' + (bar.value === 100 ? ': checking the file…' : '')
      }
    })
    request.addEventListener('load', () => {
      document.open()
      document.write(request.responseText)
      document.close()
    })
    request.send(new FormData(form))
  })
}
